/* lwnet's version at compile time, for C and C++ (lwnet/lwnet.h and lwnet/version.hpp include it).
 * The numbers must equal CMake's project(VERSION): configuring refuses a mismatch
 * (cmake/LwnetVersionHeader.cmake), so this committed header and the run-time lwnet_version() /
 * lwnet::version() always agree. Kept in the source tree rather than generated, so that the
 * headers work unchanged from add_subdirectory(lwnet), the build tree and an installation. */
#ifndef LWNET_VERSION_H
#define LWNET_VERSION_H

#define LWNET_VERSION_MAJOR 0
#define LWNET_VERSION_MINOR 1
#define LWNET_VERSION_PATCH 0

/* One number that grows with every release: 10000 * major + 100 * minor + patch (0.1.0: 100). */
#define LWNET_VERSION_NUMBER (LWNET_VERSION_MAJOR * 10000 + LWNET_VERSION_MINOR * 100 + LWNET_VERSION_PATCH)

#endif /* LWNET_VERSION_H */
