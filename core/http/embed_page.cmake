# cmake -DINPUT=live_page.html -DOUTPUT=file.cpp -P embed_page.cmake
# Writes the live page into a C++ source as one raw string (core/http/live_page.hpp).
file(READ ${INPUT} content)
if(content MATCHES "\\)fh_page\"")
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )fh_page\"")
endif()
set(text "// Generated from core/http/live_page.html by embed_page.cmake. Do not edit.\n")
string(APPEND text "#include \"core/http/live_page.hpp\"\n\n")
string(APPEND text "namespace framehost::core {\n\nstd::string_view live_page_html() {\n")
string(APPEND text "    static const char page[] = R\"fh_page(${content})fh_page\";\n")
string(APPEND text "    return {page, sizeof page - 1};\n}\n\n}  // namespace framehost::core\n")
file(WRITE ${OUTPUT}.tmp "${text}")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
