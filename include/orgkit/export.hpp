// orgkit/export.hpp: ORGKIT_EXPORT marks what a shared orgkit exports.
//
// orgkit builds with hidden visibility; the classes and functions of include/orgkit/ that
// the library defines are marked ORGKIT_EXPORT, so a shared orgkit exports its API and
// nothing else. In a static build the macro is empty. (ELF and Mach-O: GCC and Clang.)
#pragma once

#if defined(ORGKIT_SHARED) && (defined(__GNUC__) || defined(__clang__))
#define ORGKIT_EXPORT __attribute__((visibility("default")))
#else
#define ORGKIT_EXPORT
#endif
