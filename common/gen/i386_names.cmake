# Generates pt_sc_i386_names.h from the kernel's i386 syscall numbering (asm/unistd_32.h, from
# Debian's linux-libc-dev): the names pytt uses to refuse a 32-bit (int 0x80) syscall by name.
# Run as: cmake -DIN=<unistd_32.h> -DOUT=<header> -P i386_names.cmake
file(STRINGS "${IN}" lines REGEX "^#define __NR_[a-z0-9_]+ [0-9]+$")
set(body "")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "^#define __NR_([a-z0-9_]+) ([0-9]+)$" "\\2" nr "${line}")
  string(REGEX REPLACE "^#define __NR_([a-z0-9_]+) ([0-9]+)$" "\\1" name "${line}")
  string(APPEND body "    [${nr}] = \"${name}\",\n")
endforeach()
file(WRITE "${OUT}.tmp" "/* Generated from ${IN} by common/gen/i386_names.cmake: do not edit. */\n"
     "static const char *const pt_sc_i386_names[] = {\n${body}};\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
