# Compiles every public header alone, twice in one file (its include guard), as C17 with
# every warning an error: a header that needs another one first, leaks a warning, or is not
# C17 fails, naming itself. Run by ctest:
#   cmake -DSOURCE_DIR=… -DWORK_DIR=… -DC_COMPILER=… -P test_headers.cmake
file(GLOB headers "${SOURCE_DIR}/include/ewcl/*.h")
list(LENGTH headers count)
if(count LESS 9)
  message(FATAL_ERROR "only ${count} headers under ${SOURCE_DIR}/include/ewcl")
endif()
file(MAKE_DIRECTORY "${WORK_DIR}")
foreach(header IN LISTS headers)
  get_filename_component(name "${header}" NAME_WE)
  set(source "${WORK_DIR}/alone_${name}.c")
  file(WRITE "${source}"
    "#include \"ewcl/${name}.h\"\n#include \"ewcl/${name}.h\"\nint main(void) { return 0; }\n")
  execute_process(
    COMMAND "${C_COMPILER}" -std=c17 -Wall -Wextra -Wpedantic -Werror -Wstrict-prototypes
            -I "${SOURCE_DIR}/include" -fsyntax-only "${source}"
    RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "include/ewcl/${name}.h does not compile alone:\n${output}")
  endif()
  # Every header opens with a comment that shows it in use: an indented example line.
  file(READ "${header}" text LIMIT 4000)
  if(NOT text MATCHES "^/\\*" OR NOT text MATCHES "\n \\*   [a-z_]+[^\n]*[;{]")
    message(FATAL_ERROR "include/ewcl/${name}.h lacks its opening comment with an example")
  endif()
endforeach()
message(STATUS "${count} public headers compile alone and carry an example")
