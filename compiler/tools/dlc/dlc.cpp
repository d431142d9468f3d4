//===- dlc.cpp - the dlc compiler driver ----------------------------------===//
//
//   dlc model.onnx -target=x86-64 -o model.so
//
// Parses the command line into CompilerOptions and runs the pipeline. All
// flags live here; the libraries take everything through CompilerOptions.
//
//===----------------------------------------------------------------------===//
#include "compiler/InitAll.h"
#include "compiler/Pipeline/Pipeline.h"
#include "targets/Target.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace llvm;
using namespace mlir;

static cl::OptionCategory dlcCategory("dlc options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"),
                                      cl::Required, cl::cat(dlcCategory));
static cl::opt<std::string>
    outputFile("o", cl::desc("Output file: .so shared object; .o object or "
                             ".a archive plus <name>.h for firmware; '-' for "
                             "textual --emit phases"),
               cl::value_desc("file"), cl::init("-"), cl::cat(dlcCategory));
static cl::opt<std::string>
    targetName("target",
               cl::desc("Code generation target: host, x86-64, x86-64-avx512, x86-64-vnni, armv8, "
                        "armv8.2, armv8.6 "
                        "(see --list-targets)"),
               cl::init("host"), cl::cat(dlcCategory));
static cl::opt<std::string> mcpu("mcpu", cl::desc("Override the target CPU"),
                                 cl::cat(dlcCategory));
static cl::opt<std::string>
    mattr("mattr", cl::desc("Add target features, LLVM syntax (+avx2,-fma)"),
          cl::cat(dlcCategory));
static cl::opt<std::string> emit(
    "emit",
    cl::desc("Stop after a phase and write it: import, graph, kernels, memory "
             "(MLIR), llvm (LLVM dialect), llvmir, asm, obj, so (default)"),
    cl::init("so"), cl::cat(dlcCategory));
static cl::opt<std::string>
    modelName("name",
              cl::desc("Symbol prefix of the model (<name>_run); default "
                       "'model'"),
              cl::init("model"), cl::cat(dlcCategory));
static cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Pin an input's shape, e.g. --input-shape data=1x3x224x224 "
             "(repeatable)"),
    cl::cat(dlcCategory));
static cl::list<std::string> dimValues(
    "dim",
    cl::desc("Pin a named symbolic dimension in every input, e.g. --dim "
             "batch=1 --dim sequence=512 (repeatable)"),
    cl::cat(dlcCategory));
static cl::list<std::string> inputValueSpecs(
    "input-value",
    cl::desc("Make an input a constant of the model, e.g. --input-value "
             "sr=16000 (values comma-separated, repeatable)"),
    cl::cat(dlcCategory));
static cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimisation level 0-3"),
                                  cl::init(3), cl::Prefix,
                                  cl::cat(dlcCategory));
static cl::opt<std::string> reportFile(
    "report",
    cl::desc("Write the memory contract (RAM: workspace + stack; flash: code "
             "+ weights) as JSON"),
    cl::value_desc("file.json"), cl::cat(dlcCategory));
static cl::opt<std::string>
    maxRam("max-ram",
           cl::desc("Fail if workspace + stack + data exceed this many bytes "
                    "(suffixes K, M, G: 1024-based)"),
           cl::value_desc("bytes"), cl::cat(dlcCategory));
static cl::opt<std::string>
    maxFlash("max-flash",
             cl::desc("Fail if code + read-only data + data exceed this many "
                      "bytes (suffixes K, M, G)"),
             cl::value_desc("bytes"), cl::cat(dlcCategory));
static cl::opt<std::string> maxTensorBytes(
    "max-tensor-bytes",
    cl::desc("Largest tensor a model may hold or compute (default 16G; "
             "suffixes K, M, G)"),
    cl::value_desc("bytes"), cl::cat(dlcCategory));
static cl::opt<int64_t>
    maxRank("max-rank",
            cl::desc("Most dimensions of a tensor (default 32); shape-valued "
                     "inputs may hold twice as many values"),
            cl::init(32), cl::cat(dlcCategory));
static cl::opt<int64_t>
    maxOperands("max-operands",
                cl::desc("Most inputs or outputs of one node (default 4096)"),
                cl::init(4096), cl::cat(dlcCategory));
static cl::opt<int64_t> maxUnrolledNodes(
    "max-unrolled-nodes",
    cl::desc("Most nodes that unrolling Loops with a compile-time trip count "
             "and Scans may write, all of them together (default 20000)"),
    cl::init(20000), cl::cat(dlcCategory));
static cl::opt<std::string> quantizeMode(
    "quantize",
    cl::desc("Post-training quantization: int8 (needs --calibration)"),
    cl::value_desc("int8"), cl::cat(dlcCategory));
static cl::opt<std::string> precision(
    "precision",
    cl::desc("Precision of the convolutions and matrix products that do not "
             "run in int8: fp32 (default) or bf16 (bf16 operands, f32 "
             "accumulation)"),
    cl::init("fp32"), cl::value_desc("fp32|bf16"), cl::cat(dlcCategory));
static cl::opt<std::string> calibrationDir(
    "calibration",
    cl::desc("Calibration samples: */input_K.pb or .npy per sample, or .npy "
             "files of stacked samples"),
    cl::value_desc("dir"), cl::cat(dlcCategory));
static cl::opt<std::string> calibrateMethod(
    "calibrate",
    cl::desc("How activation ranges are picked: minmax (default), "
             "percentile=P, entropy (KL divergence)"),
    cl::init("minmax"), cl::cat(dlcCategory));
static cl::opt<std::string> accuracyDir(
    "accuracy-check",
    cl::desc("Held-out samples on which the quantized build is compared "
             "with the float one"),
    cl::value_desc("dir"), cl::cat(dlcCategory));
static cl::opt<double> accuracyBudget(
    "accuracy-budget",
    cl::desc("Least SQNR (dB) of every output on the calibration set; the "
             "most sensitive layers go back to float until it holds"),
    cl::init(0), cl::value_desc("dB"), cl::cat(dlcCategory));
static cl::opt<bool> listTargets("list-targets",
                                 cl::desc("Print the known targets and exit"),
                                 cl::cat(dlcCategory));

/// "65536", "64K", "2M", "1G" -> bytes; false if malformed or zero.
static bool parseBytes(StringRef text, uint64_t &bytes) {
  uint64_t scale = 1;
  if (!text.empty()) {
    char unit = toUpper(text.back());
    scale = unit == 'K' ? 1ull << 10 : unit == 'M' ? 1ull << 20
          : unit == 'G' ? 1ull << 30 : 1;
    if (scale != 1)
      text = text.drop_back();
  }
  uint64_t n;
  if (text.getAsInteger(10, n) || n == 0 || n > (~0ull) / scale)
    return false;
  bytes = n * scale;
  return true;
}

/// --name becomes C symbols and a header name.
static bool isCIdentifier(StringRef s) {
  return !s.empty() && !isDigit(s.front()) &&
         llvm::all_of(s, [](char c) { return isAlnum(c) || c == '_'; });
}

static bool parseInputShape(StringRef spec, std::string &name,
                            std::vector<int64_t> &dims) {
  auto [lhs, rhs] = spec.rsplit('=');
  if (lhs.empty() || rhs.empty())
    return false;
  name = lhs.str();
  SmallVector<StringRef> parts;
  rhs.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0 || d > (int64_t(1) << 31))
      return false;
    dims.push_back(d);
  }
  return true;
}

/// One line per diagnostic: "<model>:0:0: error: [node 'X': ]message".
/// The importer gives each op a NameLoc of its node over the model's
/// FileLineColLoc; messages that already name their node keep their text.
static LogicalResult printDiagnostic(Diagnostic &diag) {
  std::string file, node;
  diag.getLocation()->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l); n && node.empty())
      node = n.getName().str();
    if (auto f = dyn_cast<FileLineColLoc>(l); f && file.empty())
      file = (f.getFilename().str() + ":" + std::to_string(f.getLine()) +
              ":" + std::to_string(f.getColumn()));
    return WalkResult::advance();
  });
  // One line each: the ONNX library's messages may carry line breaks.
  std::string msg = diag.str();
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  while (!msg.empty() && msg.back() == ' ')
    msg.pop_back();
  const char *kind = diag.getSeverity() == DiagnosticSeverity::Error ? "error"
                     : diag.getSeverity() == DiagnosticSeverity::Warning
                         ? "warning"
                     : diag.getSeverity() == DiagnosticSeverity::Note
                         ? "note"
                         : "remark";
  errs() << (file.empty() ? std::string("dlc") : file) << ": " << kind
         << ": ";
  if (!node.empty() && msg.find("'" + node + "'") == std::string::npos)
    errs() << "node '" << node << "': ";
  errs() << msg << "\n";
  for (const Diagnostic &note : diag.getNotes())
    errs() << (file.empty() ? std::string("dlc") : file)
           << ": note: " << note.str() << "\n";
  return success();
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  // --list-targets needs no input; check for it before Required applies.
  for (int i = 1; i < argc; ++i)
    if (StringRef(argv[i]) == "--list-targets" ||
        StringRef(argv[i]) == "-list-targets") {
      for (const auto &t : dlc::listTargets())
        outs() << t.name << "\t" << t.description << "\n";
      return 0;
    }
  cl::HideUnrelatedOptions(dlcCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "dlc: ahead-of-time compiler for ONNX models\n\n"
                              "  dlc model.onnx -target=x86-64 -o model.so\n");

  dlc::CompilerOptions options;
  options.target = targetName;
  options.cpu = mcpu;
  options.features = mattr;
  options.name = modelName;
  options.optLevel = optLevel;
  options.reportPath = reportFile;
  if (!isCIdentifier(modelName)) {
    errs() << "dlc: error: --name='" << modelName
           << "' is not a C identifier (it prefixes <name>_run)\n";
    return 1;
  }
  for (auto [flag, text, out] :
       {std::tuple{"--max-ram", &maxRam, &options.maxRam},
        std::tuple{"--max-flash", &maxFlash, &options.maxFlash}}) {
    if (!text->empty() && !parseBytes(*text, *out)) {
      errs() << "dlc: error: malformed " << flag << "='" << *text
             << "' (expected a byte count such as 65536, 64K or 2M)\n";
      return 1;
    }
  }
  uint64_t tensorBytes = 0;
  if (!maxTensorBytes.empty()) {
    if (!parseBytes(maxTensorBytes, tensorBytes) || tensorBytes > INT64_MAX) {
      errs() << "dlc: error: malformed --max-tensor-bytes='" << maxTensorBytes
             << "' (expected a byte count such as 65536, 64K or 16G)\n";
      return 1;
    }
    options.limits.maxTensorBytes = int64_t(tensorBytes);
  }
  if (maxRank < 1 || maxRank > 1024 || maxOperands < 1 ||
      maxOperands > (int64_t(1) << 24) || maxUnrolledNodes < 0 ||
      maxUnrolledNodes > (int64_t(1) << 30)) {
    errs() << "dlc: error: --max-rank must lie in 1-1024, --max-operands "
              "in 1-16777216 and --max-unrolled-nodes in 0-1073741824\n";
    return 1;
  }
  options.limits.maxRank = maxRank;
  options.limits.maxOperands = maxOperands;
  options.limits.maxUnrolledNodes = maxUnrolledNodes;
  auto phase = dlc::parsePhase(emit);
  if (!phase) {
    errs() << "dlc: error: unknown --emit phase '" << emit << "'\n";
    return 1;
  }
  options.emit = *phase;
  if ((options.emit >= dlc::Phase::Object) && outputFile == "-") {
    errs() << "dlc: error: -o <file> is required for binary output\n";
    return 1;
  }
  for (const std::string &spec : inputShapes) {
    std::string name;
    std::vector<int64_t> dims;
    if (!parseInputShape(spec, name, dims)) {
      errs() << "dlc: error: malformed --input-shape '" << spec
             << "' (expected name=1x3x224x224)\n";
      return 1;
    }
    options.inputShapes[name] = dims;
  }
  for (const std::string &spec : dimValues) {
    auto [name, value] = StringRef(spec).split('=');
    int64_t n = 0;
    if (name.empty() || value.getAsInteger(10, n) || n < 0) {
      errs() << "dlc: error: malformed --dim '" << spec
             << "' (expected name=N, N >= 0)\n";
      return 1;
    }
    options.dims[name.str()] = n;
  }
  for (const std::string &spec : inputValueSpecs) {
    auto [name, list] = StringRef(spec).split('=');
    SmallVector<StringRef> parts;
    list.split(parts, ',');
    std::vector<double> values;
    for (StringRef v : parts) {
      double d = 0;
      if (v.trim().getAsDouble(d)) {
        values.clear();
        break;
      }
      values.push_back(d);
    }
    if (name.empty() || values.empty()) {
      errs() << "dlc: error: malformed --input-value '" << spec
             << "' (expected name=v or name=v1,v2,...)\n";
      return 1;
    }
    options.inputValues[name.str()] = values;
  }

  options.quantize.mode = quantizeMode;
  if (precision != "fp32" && precision != "bf16") {
    errs() << "dlc: error: --precision='" << precision
           << "' is not supported (expected fp32 or bf16)\n";
    return 1;
  }
  options.quantize.bf16 = precision == "bf16";
  options.quantize.calibrationDir = calibrationDir;
  options.quantize.accuracyDir = accuracyDir;
  options.quantize.accuracyBudgetDb = accuracyBudget;
  {
    StringRef m = calibrateMethod;
    double p = 0;
    if (m == "minmax") {
      options.quantize.method = dlc::QuantizeOptions::Method::MinMax;
    } else if (m == "entropy") {
      options.quantize.method = dlc::QuantizeOptions::Method::Entropy;
    } else if (m.consume_front("percentile=") && !m.getAsDouble(p) &&
               p > 50 && p <= 100) {
      options.quantize.method = dlc::QuantizeOptions::Method::Percentile;
      options.quantize.percentile = p;
    } else {
      errs() << "dlc: error: malformed --calibrate='" << calibrateMethod
             << "' (expected minmax, percentile=P with 50 < P <= 100, or "
                "entropy)\n";
      return 1;
    }
  }
  if (!quantizeMode.empty() && quantizeMode != "int8") {
    errs() << "dlc: error: --quantize='" << quantizeMode
           << "' is not supported (expected int8)\n";
    return 1;
  }
  bool measureFlags = !calibrationDir.empty() || !accuracyDir.empty();
  bool int8Flags = accuracyBudget != 0 || calibrateMethod != "minmax";
  if (quantizeMode.empty() && (int8Flags || (measureFlags &&
                                             !options.quantize.bf16))) {
    errs() << "dlc: error: --calibrate and --accuracy-budget need "
              "--quantize=int8; --calibration and --accuracy-check need "
              "--quantize=int8 or --precision=bf16\n";
    return 1;
  }
  if (!quantizeMode.empty() && calibrationDir.empty()) {
    errs() << "dlc: error: --quantize=int8 needs --calibration=DIR\n";
    return 1;
  }
  if (accuracyBudget < 0 || accuracyBudget > 200) {
    errs() << "dlc: error: --accuracy-budget must lie in 0-200 dB\n";
    return 1;
  }

  DialectRegistry registry;
  dlc::registerAllDialects(registry);
  dlc::registerAllPasses();
  MLIRContext context(registry);
  // Diagnostics name the model node an op came from and never dump IR: a
  // failing pass or verifier reports "node 'X': <reason>" at the model file.
  context.printOpOnDiagnostic(false);
  context.getDiagEngine().registerHandler(printDiagnostic);
  if (failed(dlc::compileModel(context, options, inputFile, outputFile)))
    return 1;
  return 0;
}
