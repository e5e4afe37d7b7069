# Helpers that write the build boilerplate once (as nng's NNGHelpers.cmake does).
#
# Every library is built twice: plainly, and as <name>_asan with AddressSanitizer and
# UndefinedBehaviorSanitizer, so that each unit test can run again under the sanitizers
# within the same CTest run.

set(PARLEY_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

# parley_library(NAME SOURCES src... LIBS lib... [ASAN_LIBS lib...])
# LIBS may name other parley libraries; their _asan twins are linked into NAME_asan.
function(parley_library name)
  cmake_parse_arguments(P "" "" "SOURCES;LIBS;PARLEY_LIBS" ${ARGN})
  foreach(variant IN ITEMS "" "_asan")
    set(t ${name}${variant})
    add_library(${t} STATIC ${P_SOURCES})
    target_include_directories(${t} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${t} PUBLIC ${P_LIBS})
    foreach(dep IN LISTS P_PARLEY_LIBS)
      target_link_libraries(${t} PUBLIC ${dep}${variant})
    endforeach()
    if(variant STREQUAL "_asan")
      target_compile_options(${t} PUBLIC ${PARLEY_SANITIZE_FLAGS})
      target_link_options(${t} PUBLIC ${PARLEY_SANITIZE_FLAGS})
      if(NOT BUILD_TESTING)
        set_target_properties(${t} PROPERTIES EXCLUDE_FROM_ALL ON)
      endif()
    endif()
  endforeach()
endfunction()

# parley_program(NAME SOURCES src... PARLEY_LIBS lib...): an installed program (cmake/ParleyInstall.cmake
# says which package holds it).
function(parley_program name)
  cmake_parse_arguments(P "" "" "SOURCES;PARLEY_LIBS" ${ARGN})
  add_executable(${name} ${P_SOURCES})
  target_link_libraries(${name} PRIVATE ${P_PARLEY_LIBS})
endfunction()

# parley_unit_test(MODULE [PARLEY_LIBS lib...]): test_MODULE.c of the calling folder as unit.MODULE,
# and again under the sanitizers as asan.MODULE. PARLEY_SOURCE_DIR is the source tree, as a string.
function(parley_unit_test module)
  cmake_parse_arguments(P "" "" "PARLEY_LIBS" ${ARGN})
  foreach(variant IN ITEMS "" "_asan")
    set(t test_${module}${variant})
    add_executable(${t} ${CMAKE_CURRENT_SOURCE_DIR}/test_${module}.c)
    target_link_libraries(${t} PRIVATE PkgConfig::CMOCKA)
    # Tests that read shipped files (examples/ ...) find them in the source tree.
    target_compile_definitions(${t} PRIVATE PARLEY_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit/lib)
    foreach(dep IN LISTS P_PARLEY_LIBS)
      target_link_libraries(${t} PRIVATE ${dep}${variant})
    endforeach()
  endforeach()
  add_test(NAME unit.${module} COMMAND test_${module})
  set_tests_properties(unit.${module} PROPERTIES LABELS unit TIMEOUT 120)
  add_test(NAME asan.${module} COMMAND test_${module}_asan)
  set_tests_properties(asan.${module} PROPERTIES LABELS "sanitize" TIMEOUT 300
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endfunction()

# parley_unit_tests(PARLEY_LIBS lib...): every test_*.c of the calling folder, each as
# parley_unit_test(MODULE PARLEY_LIBS lib...). A new test file needs no CMake line.
function(parley_unit_tests)
  cmake_parse_arguments(P "" "" "PARLEY_LIBS" ${ARGN})
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/test_*.c)
  foreach(f IN LISTS tests)
    get_filename_component(name ${f} NAME_WE)
    string(REGEX REPLACE "^test_" "" module ${name})
    parley_unit_test(${module} PARLEY_LIBS ${P_PARLEY_LIBS})
  endforeach()
endfunction()
