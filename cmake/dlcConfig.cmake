# dlc's CMake package: find_package(dlc CONFIG) gives the imported targets
# dlc::dlc (the compiler), dlc::dlcrt (the host C runtime) and the function
#
#   dlc_add_model(<lib-target> MODEL <file.onnx> TARGET <dlc-target>
#                 [NAME <prefix>] [OPTIONS <dlc flags>...])
#
# which compiles the model at build time into a static library <lib-target>
# whose PUBLIC include directory holds <prefix>.h. The model is compiled
# again when the model file or the dlc executable changes. NAME defaults to
# <lib-target> made a C identifier.
include("${CMAKE_CURRENT_LIST_DIR}/dlcTargets.cmake")

function(dlc_add_model lib)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "MODEL;TARGET;NAME" "OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "dlc_add_model(${lib}): unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  foreach(required MODEL TARGET)
    if(NOT ARG_${required})
      message(FATAL_ERROR "dlc_add_model(${lib}): ${required} is required")
    endif()
  endforeach()
  if(NOT ARG_NAME)
    string(MAKE_C_IDENTIFIER "${lib}" ARG_NAME)
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE
                         BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "dlc_add_model(${lib}): no model file '${model}'")
  endif()
  # One folder per library, so two models never share a header directory.
  set(out "${CMAKE_CURRENT_BINARY_DIR}/dlc/${lib}")
  set(object "${out}/${ARG_NAME}.o")
  set(header "${out}/${ARG_NAME}.h")
  add_custom_command(
    OUTPUT "${object}" "${header}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${out}"
    COMMAND dlc::dlc "${model}" "-target=${ARG_TARGET}" "--name=${ARG_NAME}"
            ${ARG_OPTIONS} -o "${object}"
    DEPENDS "${model}" "$<TARGET_FILE:dlc::dlc>"
    COMMENT "dlc: compiling ${ARG_MODEL} for ${ARG_TARGET} (${ARG_NAME}_run)"
    VERBATIM)
  set_source_files_properties("${object}" PROPERTIES
    EXTERNAL_OBJECT TRUE GENERATED TRUE)
  add_library(${lib} STATIC "${object}" "${header}")
  set_target_properties(${lib} PROPERTIES LINKER_LANGUAGE C)
  target_include_directories(${lib} PUBLIC "${out}")
endfunction()
