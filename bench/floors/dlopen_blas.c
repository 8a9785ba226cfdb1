/* Floor of issue 16's start-up rows: a C process that only opens OpenBLAS the way advisor's
 * LinearAlgebra does (dlopen, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND, one thread at load), and,
 * with an argument, LAPACKE too. bench/issue16.sh builds and times it beside advisor. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int flags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
  setenv("OPENBLAS_NUM_THREADS", "1", 0);
  if (!dlopen("libblas.so.3", flags)) { fprintf(stderr, "%s\n", dlerror()); return 1; }
  if (argc > 1 && !dlopen("liblapacke.so.3", flags)) { fprintf(stderr, "%s\n", dlerror()); return 1; }
  return 0;
}
