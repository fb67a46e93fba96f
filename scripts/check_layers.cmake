# Fails when a source file includes a folder above its own. Run by the build (cmake -P) with
#   ROOT    the directory whose folders are layers, PREFIX their include prefix ("agent"),
#   LAYERS  "folder:allowed,allowed" entries separated by "|": a file in `folder` (or below it)
#           may include its own folder and the allowed ones, nothing else under PREFIX/.
# Every folder under ROOT that holds sources must be a layer (a new folder is placed, not
# skipped); an include is read however it is spelled (`# include`, <...>), and one that names a
# path with `..` is refused (it could reach any folder while naming an allowed one).
cmake_minimum_required(VERSION 3.25)  # a -P script sets no policies otherwise (CMP0007)
string(REPLACE "|" ";" LAYERS "${LAYERS}")
set(layer_folders "")
set(include_regex "^[ \t]*#[ \t]*include[ \t]*[<\"]${PREFIX}/")
foreach(entry ${LAYERS})
  set(allowed_csv "")
  string(REPLACE ":" ";" parts "${entry}")
  list(GET parts 0 folder)
  list(APPEND layer_folders ${folder})
  set(allowed "")
  list(LENGTH parts n)
  if(n GREATER 1)
    list(GET parts 1 allowed_csv)
    string(REPLACE "," ";" allowed "${allowed_csv}")
  endif()
  list(APPEND allowed ${folder})
  file(GLOB_RECURSE sources ${ROOT}/${folder}/*.h ${ROOT}/${folder}/*.cc ${ROOT}/${folder}/*.inc)
  foreach(source ${sources})
    file(STRINGS ${source} includes REGEX "${include_regex}")
    foreach(line ${includes})
      if(line MATCHES "\\.\\.")
        message(FATAL_ERROR "${source}: ${line}: an include under ${PREFIX}/ must not use '..'")
      endif()
      string(REGEX REPLACE "${include_regex}([^/\">]+)/.*" "\\1" used "${line}")
      if(used STREQUAL line)
        message(FATAL_ERROR "${source}: ${line}: includes ${PREFIX}/ outside its folders")
      endif()
      list(FIND allowed ${used} at)
      if(at EQUAL -1)
        message(FATAL_ERROR "${source}: ${line}: ${PREFIX}/${folder} may include only "
                            "${PREFIX}/{${allowed_csv}} and itself (the layers point down)")
      endif()
    endforeach()
  endforeach()
endforeach()

# Sources in a folder no layer names would escape the check.
file(GLOB_RECURSE all_sources RELATIVE ${ROOT} ${ROOT}/*.h ${ROOT}/*.cc ${ROOT}/*.inc)
foreach(source ${all_sources})
  string(REGEX MATCH "^[^/]+/" top "${source}")
  if(top STREQUAL "")
    continue()  # a file beside the layers (the folder's own top level) is not in one
  endif()
  string(REGEX REPLACE "/$" "" top "${top}")
  list(FIND layer_folders ${top} at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${ROOT}/${source}: folder ${PREFIX}/${top} is not a layer: add it to "
                        "the LAYERS of ${PREFIX} with the folders it may include")
  endif()
endforeach()
