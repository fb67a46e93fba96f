// Umbrella header for the PostgreSQL protocol v3 codec (DESIGN.md §4.1): decoders turn bytes into
// NeedMore | message (+ bytes consumed) | Error; encoders append messages to a std::string.
#pragma once

#include "common/pgwire/backend_builders.h"
#include "common/pgwire/backend_messages.h"
#include "common/pgwire/copy_messages.h"
#include "common/pgwire/decode_result.h"
#include "common/pgwire/framing.h"
#include "common/pgwire/frontend_builders.h"
#include "common/pgwire/frontend_messages.h"
#include "common/pgwire/startup.h"
#include "common/pgwire/writer.h"
