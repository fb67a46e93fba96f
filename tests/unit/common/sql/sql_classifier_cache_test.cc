#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "common/sql/classifier_cache.h"

namespace warden::sql {

TEST_CASE("cache returns the same classification for the same text", "[sql]") {
  ClassifierCache cache;
  auto a = cache.Get("DELETE FROM t");
  auto b = cache.Get("DELETE FROM t");
  CHECK(a.get() == b.get());
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 1);
  CHECK(a->statements.at(0).without_where);
  // Exact text is the key: a different spelling is a different entry.
  CHECK(cache.Get("delete from t").get() != a.get());
  CHECK(cache.size() == 2);
}

TEST_CASE("cache evicts the least recently used entry", "[sql]") {
  ClassifierCache::Limits limits;
  limits.max_entries = 2;
  ClassifierCache cache(limits);
  auto one = cache.Get("SELECT a FROM t");
  cache.Get("SELECT b FROM t");
  cache.Get("SELECT a FROM t");  // now most recent
  cache.Get("SELECT c FROM t");  // evicts SELECT b
  CHECK(cache.size() == 2);
  CHECK(cache.Get("SELECT a FROM t").get() == one.get());
  const uint64_t misses = cache.misses();
  cache.Get("SELECT b FROM t");
  CHECK(cache.misses() == misses + 1);
  CHECK(one->statements.at(0).command_tag == "SELECT");  // evicted results stay valid
}

TEST_CASE("cache shares one entry among texts differing only in integers", "[sql]") {
  ClassifierCache cache;
  auto a = cache.Get("SELECT abalance FROM pgbench_accounts WHERE aid = 4711;");
  auto b = cache.Get("SELECT abalance FROM pgbench_accounts WHERE aid = 42;");
  CHECK(a.get() == b.get());
  CHECK(cache.hits() == 1);
  // Strings are not folded: a COPY from a server file never shares a key with another file.
  auto f1 = cache.Get("COPY t FROM '/tmp/a'");
  auto f2 = cache.Get("COPY t FROM '/tmp/b'");
  CHECK(f1.get() != f2.get());
  // Unparsed text is kept for its exact text only (the error quotes where parsing stopped).
  auto e1 = cache.Get("SELEC 1");
  auto e2 = cache.Get("SELEC 2");
  CHECK(e1.get() != e2.get());
  CHECK_FALSE(e1->parsed);
}

TEST_CASE("cache does not keep texts above its size limits", "[sql]") {
  ClassifierCache::Limits limits;
  limits.max_text_bytes = 16;
  ClassifierCache cache(limits);
  auto r = cache.Get("SELECT * FROM a_rather_long_table_name");
  CHECK(r->parsed);
  CHECK(cache.size() == 0);
  cache.Get("SELECT 1");
  CHECK(cache.size() == 1);

  ClassifierCache::Limits tiny;
  tiny.max_bytes = 1;
  ClassifierCache none(tiny);
  none.Get("SELECT 1");
  CHECK(none.size() == 0);
}

TEST_CASE("cache is safe under concurrent use", "[sql]") {
  ClassifierCache::Limits limits;
  limits.max_entries = 50;
  ClassifierCache cache(limits);
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string sql = "UPDATE t SET a = 1 WHERE id = " + std::to_string(i % 97);
        auto b = cache.Get(sql);
        if (!b->parsed || b->statements.at(0).command_tag != "UPDATE") ++bad[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(bad == std::vector<int>(4, 0));
  CHECK(cache.size() <= 50);
  CHECK(cache.hits() + cache.misses() == 8000);
}

}  // namespace warden::sql
