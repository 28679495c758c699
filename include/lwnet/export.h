/* What liblwnet.so exports. Built with hidden visibility (-fvisibility=hidden), the shared library
   exports only what is marked LWNET_API: the public API of include/lwnet/ (C++ and C). Everything
   else in it, and every library it links, stays private to it. Usable from C and C++. */
#ifndef LWNET_EXPORT_H
#define LWNET_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define LWNET_API __attribute__((visibility("default")))
#else
#define LWNET_API
#endif

#endif /* LWNET_EXPORT_H */
