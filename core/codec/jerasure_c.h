// Jerasure's C headers, in the order and linkage C++ needs: gf_complete.h
// has no extern "C" guard of its own.
#pragma once

extern "C" {
#include <gf_complete.h>
}
#include <jerasure.h>
#include <jerasure/reed_sol.h>
