# framehost_add_plugin(NAME SOURCES src... [LIBRARIES lib...] [OUTPUT_DIRECTORY dir] [NO_INSTALL])
# Builds NAME.so the way the host loads it: only the FRAMEHOST_PLUGIN symbols visible, every
# symbol resolved at link time (an unresolved one would otherwise kill the host at call time).
function(framehost_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY ${FRAMEHOST_PLUGIN_OUTPUT_DIR})
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE framehost::sdk ${ARG_LIBRARIES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${name}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
  if(NOT ARG_NO_INSTALL)
    if(NOT FRAMEHOST_PLUGIN_INSTALL_DIR)
      set(FRAMEHOST_PLUGIN_INSTALL_DIR lib/framehost/plugins)
    endif()
    install(TARGETS ${name} LIBRARY DESTINATION ${FRAMEHOST_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
