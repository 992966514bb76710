// Compiled into every fuzz target (tests/fuzz/CMakeLists.txt).

// AddressSanitizer's defaults for the fuzz targets; ASAN_OPTIONS still overrides them. Each
// input opens a fresh Service whose SQLite database and caches are freed at its end; with the
// default 256 MiB quarantine those frees keep fresh pages coming, and page faults took half
// the run time (measured on the operations target). 16 MiB still catches a use after free
// within an input, which is where a harness of this kind would meet one.
extern "C" __attribute__((used, no_sanitize("address", "undefined"))) const char*
__asan_default_options() {
  return "quarantine_size_mb=16";
}
