internal import CLAPACKE
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// LAPACKE and CBLAS, opened with `dlopen` on first use instead of being linked.
///
/// Written by hand because no package does it: linked, the dynamic loader resolves about
/// 16,000 symbol relocations of OpenBLAS, LAPACK and LAPACKE, and OpenBLAS starts its thread
/// pool, at every process start — 4 to 5 ms of `advisor --help`, `advisor aum` and every
/// other command that does no linear algebra (BENCHMARKS.md, "Start-up"). Opened here, only a
/// command that factors or multiplies a matrix pays for it, once.
///
/// The pointer types come from `shim.h`, each `__typeof__` the real prototype in `lapacke.h`,
/// so a call here is checked against the header exactly as a linked call would be.
///
/// BLAS is opened first and alone; LAPACKE (with LAPACK, libgfortran and libtmglib behind it)
/// only when a factorisation or solve needs it (``LAPACKESolvers``): a pre-trade check that
/// multiplies but never factors does not pay for the second tree of libraries (0.4–0.8 ms more
/// for a C program's `dlopen`, `bench/floors`; `check` of one order 25.2 → 22.4 ms:
/// BENCHMARKS.md, issue 16 third pass).
struct LAPACKLibrary: @unchecked Sendable {  // C function pointers into a loaded, never unloaded library.
  let dsyrk: advisor_dsyrk_fn
  let dgemv: advisor_dgemv_fn
  /// OpenBLAS's `openblas_set_num_threads`; nil for another BLAS (then its own threading stands).
  let setThreads: advisor_set_threads_fn?
  /// Cores OpenBLAS may use for a large problem.
  let processors: Int
  /// The user set `OPENBLAS_NUM_THREADS` (or `GOTO_NUM_THREADS`, `OMP_NUM_THREADS`): never overridden.
  let threadsFromEnvironment: Bool
  /// What `blas-info` prints.
  let configuration: String

  /// Problems of at least this many floating-point operations run on every core; smaller ones on
  /// one thread, where waking a second thread costs more than it saves (about 5 ms of work on one
  /// core of this machine; BENCHMARKS.md).
  static let parallelFlops = 2e7

  /// The libraries, opened once per process; the error is kept and thrown at each use.
  static let shared: Result<LAPACKLibrary, LinearAlgebraError> = {
    do throws(LinearAlgebraError) { return .success(try open()) } catch { return .failure(error) }
  }()

  static func get() throws(LinearAlgebraError) -> LAPACKLibrary { try shared.get() }

  private static let threads = Mutex(1)

  /// Sets OpenBLAS's thread count for a problem of `flops` operations (see ``parallelFlops``).
  func useThreads(forFlops flops: Double) {
    guard let setThreads, !threadsFromEnvironment else { return }
    let wanted = flops >= Self.parallelFlops ? processors : 1
    Self.threads.withLock { current in
      if current != wanted {
        setThreads(Int32(wanted))
        current = wanted
      }
    }
  }

  private static let threadVariables = ["OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"]

  /// Whether the user chose OpenBLAS's thread count. OpenBLAS sizes its thread pool when it is
  /// loaded: when the user did not, `OPENBLAS_NUM_THREADS=1` is set here for it to read (one
  /// thread; ``useThreads(forFlops:)`` raises the count for a large problem). Evaluated once, on
  /// the thread that first asks, before the library is opened; ``LinearAlgebraRuntime/openInBackground()``
  /// asks on its caller's thread, so `setenv` never runs beside another thread's `getenv`.
  static let environmentSetsThreads: Bool = {
    _ = pinnedKernels
    let fromEnvironment = threadVariables.contains { getenv($0) != nil }
    if !fromEnvironment { setenv("OPENBLAS_NUM_THREADS", "1", 0) }
    return fromEnvironment
  }()

  /// OpenBLAS's kernels, pinned to its AVX2 set (`OPENBLAS_CORETYPE=Haswell`) on every x86-64
  /// CPU that runs AVX2 and FMA, unless the user set `OPENBLAS_CORETYPE`; nil when not pinned.
  ///
  /// Left to itself, OpenBLAS picks its kernels from the CPU's model, and kernels round the
  /// last bit of a sum differently: AVX-512 (SkylakeX) and AVX2 (Haswell, Zen) gave
  /// 0.39703894903627746 and 0.3970389490362775 for one headroom, so one book's report
  /// differed between two machines. And a model it does not know (a VM's masked CPU: this
  /// benchmark machine's "Intel(R) Xeon(R) Processor", model 207, with AVX-512) falls back to
  /// SSE3 kernels ("Prescott"), a `dsyrk` about three times slower. Pinned, every such machine
  /// runs the same kernels, those the golden files were recorded under (`make test` pins them
  /// too): the same bits everywhere, at about 6 % of a 500 × 2,520 `budget` on a machine where
  /// AVX-512 would have been chosen (BENCHMARKS.md, issue 16 eighth pass).
  static let pinnedKernels: String? = {
    guard getenv("OPENBLAS_CORETYPE") == nil, advisor_cpu_runs_avx2_fma() != 0 else { return nil }
    setenv("OPENBLAS_CORETYPE", "Haswell", 0)
    return "Haswell"
  }()

  private static func open() throws(LinearAlgebraError) -> LAPACKLibrary {
    let fromEnvironment = environmentSetsThreads
    let blas = try library(["libblas.so.3", "libblas.so", "libopenblas.so.0", "libblas.dylib"])
    let procs: advisor_num_procs_fn? = symbol(blas, "openblas_get_num_procs")
    let processors = max(1, Int(procs?() ?? 1))
    return LAPACKLibrary(
      dsyrk: try required(blas, "cblas_dsyrk"), dgemv: try required(blas, "cblas_dgemv"),
      setThreads: symbol(blas, "openblas_set_num_threads"), processors: processors,
      threadsFromEnvironment: fromEnvironment, configuration: describe(blas, processors: processors))
  }

  /// `RTLD_DEEPBIND` (glibc, `<dlfcn.h>`: 0x00008; not imported into Swift): the library's
  /// symbols resolve inside its own dependency tree before the process's. OpenBLAS has about
  /// 14,000 symbolic relocations to its own functions; without it each one is first searched
  /// for in every library the Swift runtime and Foundation loaded (≈ 35 M instructions of
  /// `do_lookup_x` in `size`, BENCHMARKS.md "Start-up"); with it, in OpenBLAS first.
  #if os(Linux)
    private static let deepBind: Int32 = 0x0_0008
  #else
    private static let deepBind: Int32 = 0
  #endif

  fileprivate static func library(_ names: [String]) throws(LinearAlgebraError) -> UnsafeMutableRawPointer {
    var reason = ""
    for name in names {
      if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL | deepBind) { return handle }
      if reason.isEmpty, let e = dlerror() { reason = String(cString: e) }
    }
    throw .libraryUnavailable("\(names[0]): \(reason.isEmpty ? "not found" : reason)")
  }

  private static func symbol<F>(_ handle: UnsafeMutableRawPointer, _ name: String) -> F? {
    guard let p = dlsym(handle, name) else { return nil }
    return unsafeBitCast(p, to: F.self)
  }

  fileprivate static func required<F>(_ handle: UnsafeMutableRawPointer, _ name: String) throws(LinearAlgebraError) -> F {
    guard let f: F = symbol(handle, name) else { throw .libraryUnavailable("\(name) is missing from the library") }
    return f
  }

  private static func describe(_ blas: UnsafeMutableRawPointer, processors: Int) -> String {
    typealias StringFn = @convention(c) () -> UnsafePointer<CChar>?
    guard let config: StringFn = symbol(blas, "openblas_get_config") else {
      return "BLAS: not OpenBLAS (reference BLAS? install libopenblas-dev: README, Quick start)"
    }
    let text = { (f: StringFn?) in f?().map { String(cString: $0) } ?? "?" }
    let core: StringFn? = symbol(blas, "openblas_get_corename")
    let pinned = pinnedKernels.map { " (pinned: OPENBLAS_CORETYPE=\($0))" } ?? ""
    return "BLAS: \(text(config)); core \(text(core))\(pinned); \(processors) processors"
  }
}

/// LAPACKE's factorisations and solvers, opened on the first call that needs one, after BLAS (whose
/// thread policy, ``LAPACKLibrary/useThreads(forFlops:)``, they run under).
struct LAPACKESolvers: @unchecked Sendable {  // C function pointers into a loaded, never unloaded library.
  let blas: LAPACKLibrary
  let dpotrf: advisor_dpotrf_fn
  let dsyevd: advisor_dsyevd_fn
  let dposv: advisor_dposv_fn
  let dsysv: advisor_dsysv_fn

  /// Opened once per process; the error is kept and thrown at each use.
  static let shared: Result<LAPACKESolvers, LinearAlgebraError> = {
    do throws(LinearAlgebraError) { return .success(try open()) } catch { return .failure(error) }
  }()

  static func get() throws(LinearAlgebraError) -> LAPACKESolvers { try shared.get() }

  func useThreads(forFlops flops: Double) { blas.useThreads(forFlops: flops) }

  private static func open() throws(LinearAlgebraError) -> LAPACKESolvers {
    let blas = try LAPACKLibrary.get()
    let lapacke = try LAPACKLibrary.library(["liblapacke.so.3", "liblapacke.so", "liblapacke.dylib"])
    return LAPACKESolvers(
      blas: blas, dpotrf: try LAPACKLibrary.required(lapacke, "LAPACKE_dpotrf"),
      dsyevd: try LAPACKLibrary.required(lapacke, "LAPACKE_dsyevd"),
      dposv: try LAPACKLibrary.required(lapacke, "LAPACKE_dposv"),
      dsysv: try LAPACKLibrary.required(lapacke, "LAPACKE_dsysv"))
  }
}

/// The linear-algebra runtime: opened early, and described for diagnostics (`advisor-bench blas-info`).
public enum LinearAlgebraRuntime {
  /// Sets, once, the variables OpenBLAS reads when it loads (its kernels,
  /// ``LAPACKLibrary/pinnedKernels``; its thread count, ``LAPACKLibrary/environmentSetsThreads``).
  /// A process whose first multiply may run on any of several threads (`advisor serve`) calls
  /// this before it starts them: `setenv` must not run beside another thread's `getenv`.
  public static func settleEnvironment() { _ = LAPACKLibrary.environmentSetsThreads }

  /// Starts opening BLAS on another thread, for a process that will multiply matrices: the
  /// dynamic loader's relocations of OpenBLAS and its start-up (about 2 ms here, `bench/floors`)
  /// then run on a second core while the caller parses its arguments and reads its files, and
  /// the first multiply waits only for what is left of them. It opens what the first use would
  /// open, once (the libraries are `static let`s, initialised once whichever thread gets there
  /// first), so no result changes. The thread-count variable is settled on the calling thread
  /// first (``LAPACKLibrary/environmentSetsThreads``). LAPACKE is not opened: most commands never factor.
  public static func openInBackground() {
    settleEnvironment()
    // A detached POSIX thread, not Dispatch: a global queue's first use starts a worker and a
    // monitor thread, more than the thread this needs.
    var thread = pthread_t()
    let started = pthread_create(
      &thread, nil,
      { _ in
        _ = LAPACKLibrary.shared
        return nil
      }, nil)
    if started == 0 { pthread_detach(thread) }
  }

  /// The BLAS library, its core, and the thread policy; or why it could not be opened.
  public static func describe() -> String {
    switch LAPACKLibrary.shared {
    case .failure(let e): return e.description
    case .success(let lib):
      let policy =
        lib.threadsFromEnvironment
        ? "threads as set in the environment"
        : "1 thread below \(Int(LAPACKLibrary.parallelFlops)) flops, \(lib.processors) above"
      return "\(lib.configuration); \(policy)"
    }
  }
}
