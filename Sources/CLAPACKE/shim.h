// The C surface advisor uses: LAPACKE from Debian's liblapacke-dev, and the
// few CBLAS routines it calls. Debian ships no libcblas: the cblas_* symbols
// live in libblas.so, which the alternatives system points at OpenBLAS once
// libopenblas-dev is installed. Which cblas.h the alternatives system picks
// (netlib's or OpenBLAS's) varies by machine, and the two spell their types
// differently, so the prototypes used here are declared once, below, with
// the LP64 ABI both libraries share (32-bit int, enums passed as int).
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
