// The C surface advisor uses: LAPACKE from Debian's liblapacke-dev, and the
// few CBLAS routines it calls. Debian ships no libcblas: the cblas_* symbols
// live in libblas.so, which the alternatives system points at OpenBLAS once
// libopenblas-dev is installed. Which cblas.h the alternatives system picks
// (netlib's or OpenBLAS's) varies by machine, and the two spell their types
// differently, so the prototypes used here are declared once, below, with
// the LP64 ABI both libraries share (32-bit int, enums passed as int).
//
// Nothing is linked at build time: LinearAlgebra opens the libraries with
// dlopen on first use (LAPACKLibrary.swift) and calls them through the
// pointer types below, each derived from the real prototype with __typeof__
// so that a signature can never drift from the header.
#include <lapacke.h>

#define ADVISOR_CBLAS_COL_MAJOR 102
#define ADVISOR_CBLAS_NO_TRANS 111
#define ADVISOR_CBLAS_TRANS 112
#define ADVISOR_CBLAS_UPPER 121
#define ADVISOR_CBLAS_LOWER 122

void cblas_dsyrk(int order, int uplo, int trans, int n, int k, double alpha,
                 const double *a, int lda, double beta, double *c, int ldc);
void cblas_dgemv(int order, int trans, int m, int n, double alpha,
                 const double *a, int lda, const double *x, int incx,
                 double beta, double *y, int incy);
void cblas_dgemm(int order, int transa, int transb, int m, int n, int k,
                 double alpha, const double *a, int lda, const double *b,
                 int ldb, double beta, double *c, int ldc);
// OpenBLAS's thread control (absent from a reference BLAS: then unused).
void openblas_set_num_threads(int n);
int openblas_get_num_procs(void);

typedef __typeof__(LAPACKE_dpotrf) *advisor_dpotrf_fn;
typedef __typeof__(LAPACKE_dsyevd) *advisor_dsyevd_fn;
typedef __typeof__(LAPACKE_dposv) *advisor_dposv_fn;
typedef __typeof__(LAPACKE_dsysv) *advisor_dsysv_fn;
typedef __typeof__(cblas_dsyrk) *advisor_dsyrk_fn;
typedef __typeof__(cblas_dgemv) *advisor_dgemv_fn;
typedef __typeof__(cblas_dgemm) *advisor_dgemm_fn;
typedef __typeof__(openblas_set_num_threads) *advisor_set_threads_fn;
typedef __typeof__(openblas_get_num_procs) *advisor_num_procs_fn;

// Whether the CPU and the operating system run AVX2 and FMA code (OpenBLAS's "Haswell"
// kernels): CPUID leaf 1 (FMA, OSXSAVE, AVX), XCR0's SSE and AVX state bits (the OS saves the
// YMM registers), and leaf 7 (AVX2). LAPACKLibrary.swift pins OpenBLAS to those kernels.
#if defined(__x86_64__)
#include <cpuid.h>
static inline int advisor_cpu_runs_avx2_fma(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  if (!(c & (1u << 12)) || !(c & (1u << 27)) || !(c & (1u << 28))) return 0;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 6u) != 6u) return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b & (1u << 5)) != 0;
}
#else
static inline int advisor_cpu_runs_avx2_fma(void) { return 0; }
#endif
