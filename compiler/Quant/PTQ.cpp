//===- PTQ.cpp - post-training quantization driver ------------------------===//
#include "compiler/Quant/PTQ.h"
#include "compiler/Quant/Calibration.h"
#include "compiler/Quant/InsertBF16.h"
#include "targets/LLVMCommon/Emit.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include "onnx/onnx_pb.h"
#include "onnx/version_converter/convert.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::dlc;
using namespace mlir::dlc::quant;

namespace {

/// A float model loaded for in-process runs, from a temporary .so.
struct HostBuild {
  llvm::SmallString<128> path;
  std::optional<llvm::FileRemover> remover;
  std::unique_ptr<LoadedModel> loaded;
  std::map<std::string, size_t> outputIndex;
};

std::unique_ptr<OnnxModel> copyModel(const OnnxModel &m) {
  auto c = std::make_unique<OnnxModel>();
  *c->proto = *m.proto;
  c->path = m.path;
  c->inferenceNote = m.inferenceNote;
  c->unrollBudget = m.unrollBudget;
  return c;
}

/// Adds graph outputs for `names` (their inferred types); skips graph
/// inputs and values already output.
void addOutputs(onnx::GraphProto &g, const std::vector<std::string> &names) {
  std::set<std::string> have;
  for (const auto &o : g.output())
    have.insert(o.name());
  for (const auto &i : g.input())
    have.insert(i.name());
  std::map<std::string, const onnx::ValueInfoProto *> info;
  for (const auto &vi : g.value_info())
    info[vi.name()] = &vi;
  for (const std::string &n : names)
    if (!have.count(n) && info.count(n)) {
      *g.add_output() = *info[n];
      have.insert(n);
    }
}

/// Compiles `m` for this machine into a temporary .so and loads it.
LogicalResult buildForHost(Location loc, OnnxModel &m,
                           const CompilerOptions &options,
                           const CompileFn &compile, HostBuild &out) {
  CompilerOptions host = options;
  host.target = "host";
  host.cpu.clear();
  host.features.clear();
  host.emit = Phase::Library;
  host.reportPath.clear();
  host.maxRam = host.maxFlash = 0;
  host.quantize = QuantizeOptions();
  if (llvm::sys::fs::createTemporaryFile("dlc-quantize", "so", out.path))
    return emitError(loc) << "cannot create a temporary file";
  out.remover.emplace(out.path);
  if (failed(compile(m, host, out.path)))
    return failure();
  std::string error;
  out.loaded = LoadedModel::load(out.path.str().str(), error);
  if (!out.loaded)
    return emitError(loc) << error;
  const dlc_model_desc_t &d = out.loaded->desc();
  for (uint32_t i = 0; i < d.num_outputs; ++i)
    out.outputIndex[d.outputs[i].name] = i;
  return success();
}

const float *floats(const HostTensor &t) {
  return reinterpret_cast<const float *>(t.data.data());
}
size_t count(const HostTensor &t) { return t.data.size() / 4; }

/// Sums for an SQNR: signal and noise power.
struct Noise {
  double signal = 0, noise = 0, maxAbs = 0;
  void add(const HostTensor &ref, const HostTensor &q) {
    const float *r = floats(ref), *x = floats(q);
    for (size_t i = 0, n = std::min(count(ref), count(q)); i < n; ++i) {
      double e = double(x[i]) - double(r[i]);
      signal += double(r[i]) * r[i];
      noise += e * e;
      maxAbs = std::max(maxAbs, std::fabs(e));
    }
  }
  double db() const {
    if (noise == 0)
      return std::numeric_limits<double>::infinity();
    return signal == 0 ? -std::numeric_limits<double>::infinity()
                       : 10.0 * std::log10(signal / noise);
  }
};

/// Runs `samples` through the quantized build and compares it with the
/// float one: `refs` (the model outputs in `outputs` order, per sample) or,
/// when empty or when `tensorDb` wants every quantized tensor, a float run; fills one OutputMetrics per float model output and,
/// in `tensorDb`, the SQNR of each quantized tensor's dequantized value.
LogicalResult evaluate(Location loc, const std::vector<Sample> &samples,
                       const std::vector<std::vector<HostTensor>> &refs,
                       HostBuild &floatBuild, HostBuild &quantBuild,
                       const std::vector<std::string> &outputs,
                       const std::map<std::string, std::string> &dqNames,
                       const std::string &set, QuantReport &report,
                       std::map<std::string, double> *tensorDb) {
  std::map<std::string, Noise> outNoise, tensorNoise;
  std::map<std::string, std::pair<int64_t, int64_t>> top1;
  std::string error;
  std::vector<HostTensor> ref, got;
  bool stored = !refs.empty() && !tensorDb;
  for (size_t s = 0; s < samples.size(); ++s) {
    if (!stored && !floatBuild.loaded->run(samples[s], ref, error))
      return emitError(loc) << error;
    if (!quantBuild.loaded->run(samples[s], got, error))
      return emitError(loc) << error;
    for (auto [i, o] : llvm::enumerate(outputs)) {
      const HostTensor &r =
          stored ? refs[s][i] : ref[floatBuild.outputIndex.at(o)];
      const HostTensor &q = got[quantBuild.outputIndex.at(o)];
      outNoise[o].add(r, q);
      int64_t last = r.shape.empty() ? 1 : r.shape.back();
      if (last > 1)
        for (size_t row = 0; row + last <= count(r); row += last) {
          const float *a = floats(r) + row, *b = floats(q) + row;
          top1[o].first += std::max_element(a, a + last) - a ==
                           std::max_element(b, b + last) - b;
          ++top1[o].second;
        }
    }
    if (tensorDb)
      for (const auto &[t, dq] : dqNames) {
        // The float value: an output of the instrumented build, or a model
        // input.
        const HostTensor *r = nullptr;
        if (auto fi = floatBuild.outputIndex.find(t);
            fi != floatBuild.outputIndex.end())
          r = &ref[fi->second];
        for (const HostTensor &in : samples[s])
          if (!r && in.name == t)
            r = &in;
        auto qi = quantBuild.outputIndex.find(dq);
        if (r && qi != quantBuild.outputIndex.end())
          tensorNoise[t].add(*r, got[qi->second]);
      }
  }
  for (const std::string &o : outputs) {
    OutputMetrics m{o, set, outNoise[o].db(), outNoise[o].maxAbs,
                    top1[o].first, top1[o].second};
    report.outputs.push_back(m);
  }
  if (tensorDb)
    for (const auto &[t, n] : tensorNoise)
      (*tensorDb)[t] = n.db();
  return success();
}

std::string methodName(const QuantizeOptions &q) {
  switch (q.method) {
  case QuantizeOptions::Method::MinMax:
    return "minmax";
  case QuantizeOptions::Method::Percentile: {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "percentile=" << llvm::format("%g", q.percentile);
    return s;
  }
  case QuantizeOptions::Method::Entropy:
    return "entropy";
  }
  return "";
}

/// The model's float outputs, which the accuracy table measures.
std::vector<std::string> floatOutputs(const OnnxModel &m) {
  std::vector<std::string> names;
  for (const auto &o : m.proto->graph().output())
    if (o.type().tensor_type().elem_type() == onnx::TensorProto::FLOAT)
      names.push_back(o.name());
  return names;
}

/// Writes a measured host build as the artifact at `path` (when the caller
/// asked for exactly that build: `path` set).
LogicalResult reuseBuild(Location loc, const HostBuild &build,
                         llvm::StringRef path, bool *wrote) {
  if (path.empty())
    return success();
  auto bytes = llvm::MemoryBuffer::getFile(build.path);
  if (!bytes)
    return emitError(loc) << "cannot read the measured build";
  if (failed(writeOutputFile(loc, path, (*bytes)->getBuffer())))
    return failure();
  *wrote = true;
  return success();
}

/// Brings `model` to what the rewrites need: opset 13 (per-channel
/// DequantizeLinear, Cast to BFLOAT16), through ONNX's version converter,
/// and weights behind a Transpose folded into constants.
LogicalResult prepareModel(Location loc, OnnxModel &model) {
  std::string error;
  // Per-channel DequantizeLinear (axis) needs opset 13: older models go
  // through ONNX's version converter first.
  for (const auto &op : model.proto->opset_import())
    if ((op.domain().empty() || op.domain() == "ai.onnx") &&
        op.version() < 13) {
      try {
        *model.proto =
            onnx::version_conversion::ConvertVersion(*model.proto, 13);
      } catch (const std::exception &e) {
        return emitError(loc)
               << "quantizing needs opset 13 or later; ONNX's version "
                  "converter could not convert this opset-"
               << op.version() << " model: " << e.what();
      }
      if (!finishRewrittenModel(model, error))
        return emitError(loc) << error;
      break;
    }

  if (foldWeightTransposes(*model.proto->mutable_graph()) > 0 &&
      !finishRewrittenModel(model, error))
    return emitError(loc) << error;

  return success();
}

/// Marks the decisions of `bf16` nodes, and rewrites `m` to round their
/// operands. `moved` are the layers the budget moved out of int8.
LogicalResult applyBF16(Location loc, OnnxModel &m, const QuantPlan *int8,
                        const std::set<std::string> &moved,
                        std::vector<NodeDecision> &decisions) {
  std::set<std::string> exclude, keys;
  if (int8)
    for (const QuantItem &item : int8->items)
      exclude.insert(item.key);
  std::map<std::string, std::string> floatReason;
  for (const NodeDecision &d : decisions)
    floatReason[d.key] = d.reason;
  std::vector<NodeDecision> bf16 =
      planBF16(m.proto->graph(), exclude, "bf16 (--precision=bf16)");
  for (NodeDecision &d : bf16) {
    if (d.precision != Precision::BF16)
      continue;
    keys.insert(d.key);
    if (moved.count(d.key))
      d.reason = "moved from int8 to bf16 by --accuracy-budget";
    else if (auto it = floatReason.find(d.key);
             it != floatReason.end() && !it->second.empty())
      d.reason = "bf16; not int8: " + it->second;
  }
  if (!int8) {
    decisions = std::move(bf16);
  } else {
    // bf16 decisions replace the int8 planner's float ones; nodes it does
    // not list (ConvTranspose in a subgraph) are added.
    std::map<std::string, NodeDecision *> listed;
    for (NodeDecision &d : decisions)
      listed[d.key] = &d;
    std::vector<NodeDecision> unlisted;
    for (const NodeDecision &d : bf16) {
      auto it = listed.find(d.key);
      if (it == listed.end())
        unlisted.push_back(d);
      else if (d.precision == Precision::BF16)
        *it->second = d;
    }
    decisions.insert(decisions.end(), unlisted.begin(), unlisted.end());
  }
  std::string error;
  if (insertBF16(*m.proto->mutable_graph(), keys) > 0 &&
      !finishRewrittenModel(m, error))
    return emitError(loc) << error;
  return success();
}

/// --precision=bf16 without --quantize: no calibration; with samples, the
/// bf16 build is measured against the float one.
LogicalResult bf16Model(Location loc, const CompilerOptions &options,
                        OnnxModel &model, const CompileFn &compile,
                        QuantReport &report, llvm::StringRef artifactPath,
                        bool *wroteArtifact) {
  const QuantizeOptions &qo = options.quantize;
  std::unique_ptr<OnnxModel> rounded = copyModel(model);
  if (failed(applyBF16(loc, *rounded, nullptr, {}, report.decisions)))
    return failure();
  if (!qo.calibrationDir.empty() || !qo.accuracyDir.empty()) {
    HostBuild floatBuild, bf16Build;
    if (failed(buildForHost(loc, model, options, compile, floatBuild)) ||
        failed(buildForHost(loc, *rounded, options, compile, bf16Build)))
      return failure();
    std::vector<std::string> outputs = floatOutputs(model);
    std::string error;
    for (auto [dir, set, count] :
         {std::tuple{qo.calibrationDir, "calibration",
                     &report.calibrationSamples},
          std::tuple{qo.accuracyDir, "held-out", &report.heldOutSamples}}) {
      if (dir.empty())
        continue;
      std::vector<Sample> samples;
      if (!readSamples(dir, floatBuild.loaded->desc(), samples, error))
        return emitError(loc) << error;
      *count = samples.size();
      if (failed(evaluate(loc, samples, {}, floatBuild, bf16Build, outputs, {},
                          set, report, nullptr)))
        return failure();
    }
    if (failed(reuseBuild(loc, bf16Build, artifactPath, wroteArtifact)))
      return failure();
  }
  model.proto = std::move(rounded->proto);
  return success();
}

} // namespace

LogicalResult mlir::dlc::quant::quantizeModel(Location loc,
                                              const CompilerOptions &options,
                                              OnnxModel &model,
                                              const CompileFn &compile,
                                              QuantReport &report,
                                              llvm::StringRef artifactPath,
                                              bool *wroteArtifact) {
  const QuantizeOptions &qo = options.quantize;
  report.int8 = qo.mode == "int8";
  report.bf16 = qo.bf16;
  if (!qo.mode.empty() && !report.int8)
    return emitError(loc) << "--quantize=" << qo.mode
                          << " is not supported (int8 is)";
  if (failed(prepareModel(loc, model)))
    return failure();
  if (!report.int8)
    return bf16Model(loc, options, model, compile, report, artifactPath,
                     wroteArtifact);
  if (qo.calibrationDir.empty())
    return emitError(loc) << "--quantize=int8 needs --calibration=DIR";
  report.method = methodName(qo);
  report.movedTo = qo.bf16 ? Precision::BF16 : Precision::Float;
  std::string error;

  std::vector<std::string> modelOutputs = floatOutputs(model);

  // 1. The float build, instrumented: every tensor the plan quantizes is
  // also an output.
  QuantPlan full = planInt8(model.proto->graph(), {});
  std::unique_ptr<OnnxModel> instrumented = copyModel(model);
  addOutputs(*instrumented->proto->mutable_graph(), full.tensors);
  HostBuild floatBuild;
  if (failed(buildForHost(loc, *instrumented, options, compile, floatBuild)))
    return failure();

  // 2. Calibration: ranges over the samples (a second pass for histograms).
  std::vector<Sample> samples;
  if (!readSamples(qo.calibrationDir, floatBuild.loaded->desc(), samples,
                   error))
    return emitError(loc) << error;
  report.calibrationSamples = samples.size();
  const dlc_model_desc_t &desc = floatBuild.loaded->desc();
  std::map<std::string, size_t> inputIndex;
  for (uint32_t i = 0; i < desc.num_inputs; ++i)
    inputIndex[desc.inputs[i].name] = i;
  std::map<std::string, TensorStats> stats;
  std::vector<std::vector<HostTensor>> refs;
  auto observe = [&](bool histogram) -> LogicalResult {
    std::vector<HostTensor> outs;
    for (const Sample &s : samples) {
      if (!floatBuild.loaded->run(s, outs, error))
        return emitError(loc) << error;
      for (const std::string &t : full.tensors) {
        const HostTensor *v = nullptr;
        if (auto it = floatBuild.outputIndex.find(t);
            it != floatBuild.outputIndex.end())
          v = &outs[it->second];
        else if (auto it = inputIndex.find(t); it != inputIndex.end())
          v = &s[it->second];
        if (!v)
          continue;
        if (histogram)
          stats[t].observeHistogram(floats(*v), count(*v));
        else
          stats[t].observeRange(floats(*v), count(*v));
      }
      // Only the model outputs are kept: the instrumented ones would hold
      // every quantized tensor of every sample.
      if (!histogram) {
        std::vector<HostTensor> kept;
        for (const std::string &o : modelOutputs)
          kept.push_back(std::move(outs[floatBuild.outputIndex.at(o)]));
        refs.push_back(std::move(kept));
      }
    }
    return success();
  };
  if (failed(observe(false)))
    return failure();
  for (const std::string &t : full.tensors)
    if (!stats[t].seen())
      return emitError(loc) << "calibration saw no finite value of '" << t
                            << "' over " << samples.size()
                            << " sample(s); are the samples NaN or infinite?";
  if (qo.method != QuantizeOptions::Method::MinMax) {
    for (auto &[t, st] : stats)
      st.startHistogram(qo.method == QuantizeOptions::Method::Entropy);
    if (failed(observe(true)))
      return failure();
  }
  std::map<std::string, std::pair<float, float>> ranges;
  for (const std::string &t : full.tensors)
    ranges[t] = stats[t].range(qo);

  std::vector<Sample> heldOut;
  if (!qo.accuracyDir.empty() &&
      !readSamples(qo.accuracyDir, desc, heldOut, error))
    return emitError(loc) << error;
  report.heldOutSamples = heldOut.size();

  // 3. Quantize and measure; under a budget, move the layers that add the
  // most noise back to float (bf16 with --precision=bf16) until it holds.
  bool budget = qo.accuracyBudgetDb > 0;
  struct Attempt {
    std::unique_ptr<OnnxModel> model;
    HostBuild build;
    QuantPlan plan;
    std::map<std::string, std::string> dqNames;
    std::vector<NodeDecision> decisions;
    QuantReport measured; // Its calibration-set outputs.
    double worst = std::numeric_limits<double>::infinity();
    bool probed = false; // Built with every dequantized tensor as output.
  };
  // Quantizes with `keep` out of int8, builds and measures on the
  // calibration set (with each dequantized tensor's SQNR in `tensorDb`).
  auto attempt = [&](const std::set<std::string> &keep,
                     std::map<std::string, double> *tensorDb)
      -> FailureOr<std::unique_ptr<Attempt>> {
    auto a = std::make_unique<Attempt>();
    a->plan = planInt8(model.proto->graph(), keep);
    a->model = copyModel(model);
    insertQDQ(*a->model->proto->mutable_graph(), a->plan, ranges, a->dqNames);
    if (!finishRewrittenModel(*a->model, error))
      return emitError(loc) << error;
    a->decisions = a->plan.decisions;
    if (qo.bf16 &&
        failed(applyBF16(loc, *a->model, &a->plan, keep, a->decisions)))
      return failure();
    std::unique_ptr<OnnxModel> probe = copyModel(*a->model);
    if (tensorDb) {
      std::vector<std::string> dqs;
      for (const auto &[t, dq] : a->dqNames)
        dqs.push_back(dq);
      addOutputs(*probe->proto->mutable_graph(), dqs);
      a->probed = true;
    }
    if (failed(buildForHost(loc, *probe, options, compile, a->build)) ||
        failed(evaluate(loc, samples, refs, floatBuild, a->build,
                        modelOutputs, a->dqNames, "calibration", a->measured,
                        tensorDb)))
      return failure();
    for (const OutputMetrics &m : a->measured.outputs)
      a->worst = std::min(a->worst, m.sqnrDb);
    return a;
  };
  std::map<std::string, double> tensorDb;
  FailureOr<std::unique_ptr<Attempt>> first =
      attempt({}, budget ? &tensorDb : nullptr);
  if (failed(first))
    return failure();
  std::unique_ptr<Attempt> chosen = std::move(*first);
  if (budget && chosen->worst < qo.accuracyBudgetDb &&
      !chosen->plan.items.empty()) {
    // The int8 layers by the noise-to-signal power each adds, most first
    // (linear, not dB: a drop from 56 to 32 dB adds far less noise than one
    // from 18 to 12): its dequantized output's against its input's.
    std::vector<std::pair<double, size_t>> ranked;
    const std::vector<QuantItem> &items = chosen->plan.items;
    for (auto [i, item] : llvm::enumerate(items)) {
      auto in = tensorDb.find(item.input), out = tensorDb.find(item.output);
      double drop = in == tensorDb.end() || out == tensorDb.end()
                        ? -std::numeric_limits<double>::infinity()
                        : std::pow(10.0, -out->second / 10.0) -
                              std::pow(10.0, -in->second / 10.0);
      ranked.push_back({-drop, i});
    }
    std::sort(ranked.begin(), ranked.end());
    std::vector<std::string> order;
    for (auto [negDrop, i] : ranked)
      order.push_back(items[i].key);
    auto firstOf = [&](size_t k) {
      return std::set<std::string>(order.begin(), order.begin() + k);
    };
    // The fewest of them, in that order, whose move meets the budget: a
    // binary search over the count (moving more layers does not lose
    // SQNR), log2(n) builds where moving one layer per build took n
    // (MobileNetV2 to 43 dB: 28 builds, 8.5 minutes).
    size_t lo = 1, hi = order.size();
    std::unique_ptr<Attempt> best;
    size_t bestK = 0;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      FailureOr<std::unique_ptr<Attempt>> a = attempt(firstOf(mid), nullptr);
      if (failed(a))
        return failure();
      if ((*a)->worst >= qo.accuracyBudgetDb) {
        hi = mid;
        best = std::move(*a);
        bestK = mid;
      } else {
        lo = mid + 1;
      }
    }
    if (!best || bestK != lo) {
      FailureOr<std::unique_ptr<Attempt>> a = attempt(firstOf(lo), nullptr);
      if (failed(a))
        return failure();
      best = std::move(*a);
    }
    chosen = std::move(best);
    report.moved.assign(order.begin(), order.begin() + lo);
  }
  report.decisions = chosen->decisions;
  report.outputs = chosen->measured.outputs;
  if (!heldOut.empty() &&
      failed(evaluate(loc, heldOut, {}, floatBuild, chosen->build,
                      modelOutputs, chosen->dqNames, "held-out", report,
                      nullptr)))
    return failure();
  if (!chosen->probed &&
      failed(reuseBuild(loc, chosen->build, artifactPath, wroteArtifact)))
    return failure();
  std::unique_ptr<OnnxModel> quantized = std::move(chosen->model);
  model.proto = std::move(quantized->proto);
  return success();
}

void mlir::dlc::quant::printReport(const QuantReport &report,
                                   llvm::raw_ostream &os) {
  std::map<Precision, size_t> counts;
  for (const NodeDecision &d : report.decisions)
    ++counts[d.precision];
  if (report.int8)
    os << "dlc: int8 post-training quantization" << (report.bf16 ? ", bf16" : "")
       << " (" << report.method << ", " << report.calibrationSamples
       << " calibration samples)\n";
  else
    os << "dlc: bf16 precision (--precision=bf16)\n";
  os << llvm::format("  %-32s %-8s %-9s %s\n", "node", "op", "precision",
                     "why");
  for (const NodeDecision &d : report.decisions)
    os << llvm::format("  %-32s %-8s %-9s %s\n", d.key.c_str(),
                       d.opType.c_str(), precisionName(d.precision),
                       d.reason.c_str());
  os << "  ";
  if (report.int8)
    os << counts[Precision::Int8] << " of " << report.decisions.size()
       << " compute nodes in int8" << (report.bf16 ? ", " : "");
  if (report.bf16)
    os << counts[Precision::BF16]
       << (report.int8 ? "" : " of " + std::to_string(report.decisions.size()) +
                                  " compute nodes")
       << " in bf16";
  os << "; the others, and every other node, run in float\n";
  if (!report.moved.empty()) {
    os << "  --accuracy-budget moved to " << precisionName(report.movedTo)
       << ":";
    for (const std::string &k : report.moved)
      os << " " << k;
    os << "\n";
  }
  if (report.outputs.empty())
    return;
  os << llvm::format("  %-24s %-12s %9s %12s  %s\n", "output", "set",
                     "SQNR dB", "max |err|", "top-1 agreement");
  for (const OutputMetrics &m : report.outputs) {
    std::string top1 = "-";
    if (m.top1Rows)
      top1 = std::to_string(m.top1Agree) + "/" + std::to_string(m.top1Rows) +
             llvm::formatv(" ({0:F1}%)", 100.0 * m.top1Agree / m.top1Rows)
                 .str();
    os << llvm::format("  %-24s %-12s %9.2f %12.4g  %s\n", m.name.c_str(),
                       m.set.c_str(), m.sqnrDb, m.maxAbsError, top1.c_str());
  }
}

LogicalResult mlir::dlc::quant::addReportSection(Location loc,
                                                 const QuantReport &report,
                                                 llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return emitError(loc) << "cannot read the report '" << path << "'";
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json || !json->getAsObject()) {
    if (!json)
      llvm::consumeError(json.takeError());
    return emitError(loc) << "the report '" << path << "' is not a JSON object";
  }
  llvm::json::Array nodes, outputs, moved;
  for (const NodeDecision &d : report.decisions)
    nodes.push_back(llvm::json::Object{{"node", d.key},
                                       {"op", d.opType},
                                       {"precision", precisionName(d.precision)},
                                       {"reason", d.reason}});
  for (const OutputMetrics &m : report.outputs) {
    llvm::json::Object o{{"output", m.name},
                         {"set", m.set},
                         {"max_abs_error", m.maxAbsError}};
    // JSON has no infinity: an exact output's SQNR is null.
    o["sqnr_db"] = std::isfinite(m.sqnrDb) ? llvm::json::Value(m.sqnrDb)
                                           : llvm::json::Value(nullptr);
    if (m.top1Rows)
      o["top1_agreement"] = double(m.top1Agree) / double(m.top1Rows);
    outputs.push_back(std::move(o));
  }
  for (const std::string &k : report.moved)
    moved.push_back(k);
  llvm::json::Object section{
      {"mode", report.int8 && report.bf16 ? "int8+bf16"
               : report.int8              ? "int8"
                                          : "bf16"},
      {"calibration_samples", int64_t(report.calibrationSamples)},
      {"held_out_samples", int64_t(report.heldOutSamples)},
      {"nodes", std::move(nodes)},
      {"outputs", std::move(outputs)}};
  if (report.int8) {
    section["calibration"] = report.method;
    section[report.movedTo == Precision::BF16 ? "moved_to_bf16"
                                              : "moved_to_float"] =
        std::move(moved);
  }
  (*json->getAsObject())["quantization"] = std::move(section);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", *json) << "\n";
  return writeOutputFile(loc, path, text);
}
