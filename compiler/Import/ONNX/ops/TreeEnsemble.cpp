//===- TreeEnsemble.cpp - ai.onnx.ml TreeEnsemble (opset 5) ---------------===//
//
// A forest of decision trees over X [N, F]. The trees are attributes, so
// they are compile-time tables; the walk is data-dependent, so it is
// evaluated level-synchronously: every (sample, tree) pair starts at its
// root and takes one branch per step, for as many steps as the deepest
// tree has levels (a pair that reached a leaf stays there). One
// linalg.generic computes the leaf of every pair, with the step loop
// unrolled and the node tables read with tensor.extract; a second
// aggregates the leaves' weights per target, reading a dense [leaf,
// target] table whose absent entries hold the aggregation's identity.
// This is the structure that gradient-boosted ensembles need: no pointer
// chasing beyond one table read per level, and no data-dependent loop
// bounds. BRANCH_MEMBER nodes become chains of equality nodes at import,
// so the run-time walk knows six comparisons only.
//
//===----------------------------------------------------------------------===//
#include "compiler/Import/ONNX/ImportContext.h"
#include "compiler/Import/ONNX/ops/Kernels.h"

#include "onnx/defs/tensor_proto_util.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::dlc;

namespace {

enum Mode { LEQ, LT, GTE, GT, EQ, NEQ, MEMBER };
enum Aggregate { AVERAGE, SUM, MIN, MAX };

/// The deepest walk the unrolled evaluation accepts (levels of internal
/// nodes on one root-to-leaf path).
constexpr int64_t kMaxDepth = 1024;

/// Node tables after MEMBER expansion. A child is an internal node
/// (0..nodes-1) or a leaf (encoded after the nodes: nodes + leaf).
struct Forest {
  std::vector<int32_t> feature, mode, missingTrue;
  std::vector<double> split;
  std::vector<int64_t> child[2]; // [0] true branch, [1] false branch
  std::vector<bool> childIsLeaf[2];
  std::vector<int64_t> roots; // node indices
  int64_t depth = 0;
};

/// A float or double attribute tensor's values as doubles; none if absent
/// or of another type.
std::optional<std::vector<double>> attrDoubles(ImportContext &c,
                                               llvm::StringRef name) {
  const onnx::TensorProto *t = c.attrTensor(name);
  if (!t || (t->data_type() != onnx::TensorProto::FLOAT &&
             t->data_type() != onnx::TensorProto::DOUBLE))
    return std::nullopt;
  ConstTensor ct{t, {t->dims().begin(), t->dims().end()}, t->data_type()};
  if (ct.dtype == onnx::TensorProto::DOUBLE)
    return onnx::ParseData<double>(t);
  std::vector<float> f = ct.floats();
  return std::vector<double>(f.begin(), f.end());
}

/// Depth of the tree under `root` (internal levels), or -1 on a cycle or
/// a path deeper than kMaxDepth. Iterative, memoised: shared subtrees are
/// walked once.
int64_t treeDepth(const Forest &f, int64_t root, std::vector<int64_t> &memo) {
  // memo: -2 unvisited, -3 on the current path, else the depth.
  std::vector<std::pair<int64_t, int>> stack{{root, 0}};
  memo[root] = -3;
  while (!stack.empty()) {
    auto &[node, next] = stack.back();
    if (next < 2) {
      int side = next++;
      if (f.childIsLeaf[side][node])
        continue;
      int64_t ch = f.child[side][node];
      if (memo[ch] == -3 || int64_t(stack.size()) >= kMaxDepth)
        return -1;
      if (memo[ch] == -2) {
        memo[ch] = -3;
        stack.push_back({ch, 0});
      }
      continue;
    }
    int64_t d = 1;
    for (int side = 0; side < 2; ++side)
      if (!f.childIsLeaf[side][node])
        d = std::max(d, 1 + memo[f.child[side][node]]);
    memo[node] = d;
    stack.pop_back();
  }
  return memo[root];
}

LogicalResult importTreeEnsemble(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  auto xt = cast<RankedTensorType>(x.getType());
  Type elem = xt.getElementType();
  if (xt.getRank() != 2 || !isa<FloatType>(elem) || type.getRank() != 2 ||
      type.getElementType() != elem || type.getDimSize(0) != xt.getDimSize(0))
    return c.fail("expects floating-point X [N, F] and Y [N, n_targets] of "
                  "X's type");
  int64_t n = xt.getDimSize(0), features = xt.getDimSize(1);
  int64_t targets = c.attrInt("n_targets", 0);
  if (targets < 1 || targets != type.getDimSize(1))
    return c.fail("n_targets must be >= 1 and match Y's second dimension");
  int64_t post = c.attrInt("post_transform", 0);
  if (post != 0)
    return c.fail("post_transform " + Twine(post) +
                  " is not supported (only NONE, 0)");
  int64_t agg = c.attrInt("aggregate_function", SUM);
  if (agg < AVERAGE || agg > MAX)
    return c.fail("aggregate_function " + Twine(agg) + " is not 0..3");

  std::vector<int64_t> featureIds = c.attrInts("nodes_featureids"),
                       trueIds = c.attrInts("nodes_truenodeids"),
                       falseIds = c.attrInts("nodes_falsenodeids"),
                       trueLeafs = c.attrInts("nodes_trueleafs"),
                       falseLeafs = c.attrInts("nodes_falseleafs"),
                       missing = c.attrInts("nodes_missing_value_tracks_true"),
                       leafTargets = c.attrInts("leaf_targetids"),
                       roots = c.attrInts("tree_roots");
  std::optional<std::vector<double>> splits = attrDoubles(c, "nodes_splits"),
                                     weights = attrDoubles(c, "leaf_weights"),
                                     members = attrDoubles(c, "membership_values");
  const onnx::TensorProto *modesT = c.attrTensor("nodes_modes");
  std::vector<int64_t> modes;
  if (modesT)
    modes = ConstTensor{modesT,
                        {modesT->dims().begin(), modesT->dims().end()},
                        modesT->data_type()}
                .ints();
  size_t nodes = featureIds.size(), leaves = leafTargets.size();
  if (!nodes || !splits || !weights || !modesT || splits->size() != nodes ||
      modes.size() != nodes || trueIds.size() != nodes ||
      falseIds.size() != nodes || trueLeafs.size() != nodes ||
      falseLeafs.size() != nodes || (!missing.empty() && missing.size() != nodes))
    return c.fail("the nodes_* attributes must be present with one value per "
                  "node (splits as float or double)");
  if (!leaves || weights->size() != leaves)
    return c.fail("leaf_targetids and leaf_weights (float or double) need one "
                  "value per leaf");
  if (roots.empty())
    return c.fail("tree_roots lists no tree");

  // The tables, with each MEMBER node expanded into a chain of EQ nodes
  // (members taken from membership_values in node order, NaN-delimited,
  // as the operator's definition states).
  Forest f;
  size_t memberPos = 0;
  auto addNode = [&](int64_t feature, int32_t mode, double split, int32_t miss) {
    f.feature.push_back(int32_t(feature));
    f.mode.push_back(mode);
    f.split.push_back(split);
    f.missingTrue.push_back(miss);
    for (int s = 0; s < 2; ++s) {
      f.child[s].push_back(0);
      f.childIsLeaf[s].push_back(false);
    }
    return int64_t(f.feature.size() - 1);
  };
  for (size_t i = 0; i < nodes; ++i) {
    if (featureIds[i] < 0 || featureIds[i] >= features)
      return c.fail("node " + Twine(i) + " tests feature " +
                    Twine(featureIds[i]) + " of " + Twine(features));
    if (modes[i] < LEQ || modes[i] > MEMBER)
      return c.fail("node " + Twine(i) + " has mode " + Twine(modes[i]) +
                    ", not 0..6");
    for (int s = 0; s < 2; ++s) {
      int64_t to = s ? falseIds[i] : trueIds[i];
      bool leaf = s ? falseLeafs[i] : trueLeafs[i];
      if (to < 0 || to >= int64_t(leaf ? leaves : nodes))
        return c.fail("node " + Twine(i) + " branches to " +
                      (leaf ? "leaf " : "node ") + Twine(to) + ", out of range");
    }
    addNode(featureIds[i], modes[i] == MEMBER ? EQ : modes[i], (*splits)[i],
            missing.empty() ? 0 : missing[i] != 0);
  }
  for (size_t i = 0; i < nodes; ++i)
    for (int s = 0; s < 2; ++s) {
      f.child[s][i] = s ? falseIds[i] : trueIds[i];
      f.childIsLeaf[s][i] = s ? falseLeafs[i] : trueLeafs[i];
    }
  for (size_t i = 0; i < nodes; ++i) {
    if (modes[i] != MEMBER)
      continue;
    std::vector<double> set;
    for (; members && memberPos < members->size() &&
           !std::isnan((*members)[memberPos]);
         ++memberPos)
      set.push_back((*members)[memberPos]);
    if (!members || memberPos >= members->size())
      return c.fail("membership_values has no NaN-terminated set for node " +
                    Twine(i));
    ++memberPos;
    // x in {v0, ..., vk}: node i tests v0; its false branch goes to a node
    // testing v1, and so on; the last one's false branch is the original.
    // An empty set compares with NaN: never equal.
    f.split[i] = set.empty() ? std::numeric_limits<double>::quiet_NaN() : set[0];
    int64_t prev = i, falseTo = f.child[1][i];
    bool falseLeaf = f.childIsLeaf[1][i];
    for (size_t k = 1; k < set.size(); ++k) {
      int64_t e = addNode(f.feature[i], EQ, set[k], f.missingTrue[i]);
      f.child[0][e] = f.child[0][i];
      f.childIsLeaf[0][e] = f.childIsLeaf[0][i];
      f.child[1][prev] = e;
      f.childIsLeaf[1][prev] = false;
      prev = e;
    }
    f.child[1][prev] = falseTo;
    f.childIsLeaf[1][prev] = falseLeaf;
  }
  // A degenerate tree (a root whose branches both reach the same leaf)
  // needs no special case: walking it reaches that leaf in one step.
  std::vector<int64_t> memo(f.feature.size(), -2);
  for (int64_t r : roots) {
    if (r < 0 || r >= int64_t(nodes))
      return c.fail("tree root " + Twine(r) + " is not a node");
    int64_t d = memo[r] >= 0 ? memo[r] : treeDepth(f, r, memo);
    if (d < 0)
      return c.fail("the tree at root " + Twine(r) +
                    " has a cycle or is deeper than " + Twine(kMaxDepth) +
                    " levels");
    f.depth = std::max(f.depth, d);
  }

  // Leaf table [leaves, targets]: each leaf's weight at its target, the
  // aggregation's identity elsewhere (AVERAGE: pre-divided by the tree
  // count, as the reference adds weight / trees).
  // MIN/MAX start from the type's largest finite values, as the reference.
  double identity = 0.0;
  if (agg == MIN || agg == MAX)
    identity = llvm::APFloat::getLargest(
                   cast<FloatType>(elem).getFloatSemantics(), agg == MAX)
                   .convertToDouble();
  auto tableType = RankedTensorType::get(
      {int64_t(leaves), targets}, elem);
  if (!isReasonableSize(tableType, c.limits.maxTensorBytes))
    return c.fail("the leaf table (" + Twine(leaves) + " leaves x " +
                  Twine(targets) + " targets) exceeds --max-tensor-bytes");
  std::vector<double> table(leaves * targets, identity);
  for (size_t l = 0; l < leaves; ++l) {
    if (leafTargets[l] < 0 || leafTargets[l] >= targets)
      return c.fail("leaf " + Twine(l) + " has target " +
                    Twine(leafTargets[l]) + " of " + Twine(targets));
    double w = (*weights)[l];
    table[l * targets + leafTargets[l]] =
        agg == AVERAGE ? w / double(roots.size()) : w;
  }

  // Constant tables.
  Type i32 = c.b.getI32Type();
  int64_t m = f.feature.size();
  auto constI32 = [&](ArrayRef<int32_t> v) -> Value {
    auto t = RankedTensorType::get({int64_t(v.size())}, i32);
    return tosa::ConstOp::create(c.b, t, DenseElementsAttr::get(t, v));
  };
  auto constElem = [&](ArrayRef<int64_t> shape, ArrayRef<double> v) -> Value {
    auto t = RankedTensorType::get(shape, elem);
    SmallVector<APFloat> values;
    for (double d : v) {
      APFloat a(d);
      bool lost;
      a.convert(cast<FloatType>(elem).getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &lost);
      values.push_back(a);
    }
    return tosa::ConstOp::create(c.b, t, DenseElementsAttr::get(t, values));
  };
  std::vector<int32_t> next[2];
  for (int s = 0; s < 2; ++s)
    for (int64_t i = 0; i < m; ++i)
      next[s].push_back(int32_t(f.childIsLeaf[s][i] ? m + f.child[s][i]
                                                    : f.child[s][i]));
  std::vector<int32_t> rootTable(roots.begin(), roots.end());
  Value featureT = constI32(f.feature), modeT = constI32(f.mode),
        missT = constI32(f.missingTrue), trueT = constI32(next[0]),
        falseT = constI32(next[1]), rootT = constI32(rootTable);
  Value splitT = constElem({m}, f.split);
  Value leafT = constElem({int64_t(leaves), targets}, table);
  // One comparison for the whole forest where every node uses the same
  // one (scikit-learn writes only LEQ); otherwise a select over the mode.
  bool oneMode = llvm::all_equal(f.mode);
  bool anyMissing = llvm::is_contained(f.missingTrue, 1);

  int64_t trees = roots.size();
  auto leafType = RankedTensorType::get({n, trees}, i32);
  Value leafInit = tensor::EmptyOp::create(c.b, leafType.getShape(), i32);
  Value leafOf = loopNest(
      c, leafInit, {},
      [&](OpBuilder &b, Location l, ValueRange) -> SmallVector<Value> {
        auto ci = [&](int64_t v) { return arith::ConstantIntOp::create(b, l, v, 32); };
        auto asIndex = [&](Value v) {
          return arith::IndexCastOp::create(b, l, b.getIndexType(), v).getResult();
        };
        auto at = [&](Value table, Value i) {
          return tensor::ExtractOp::create(b, l, table, ValueRange{i}).getResult();
        };
        Value sample = linalg::IndexOp::create(b, l, 0);
        Value node = at(rootT, linalg::IndexOp::create(b, l, 1));
        Value last = ci(m - 1), numNodes = ci(m);
        using P = arith::CmpFPredicate;
        const P preds[] = {P::OLE, P::OLT, P::OGE, P::OGT, P::OEQ, P::UNE};
        for (int64_t step = 0; step < f.depth; ++step) {
          Value atLeaf = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge,
                                               node, numNodes);
          Value i = asIndex(arith::MinSIOp::create(b, l, node, last));
          Value xv = tensor::ExtractOp::create(
              b, l, x, ValueRange{sample, asIndex(at(featureT, i))});
          Value s = at(splitT, i);
          Value cond;
          if (oneMode) {
            cond = arith::CmpFOp::create(b, l, preds[f.mode[0]], xv, s);
          } else {
            Value mode = at(modeT, i);
            for (int k = NEQ; k >= LEQ; --k) {
              Value ck = arith::CmpFOp::create(b, l, preds[k], xv, s);
              if (!cond) {
                cond = ck;
                continue;
              }
              Value is = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                               mode, ci(k));
              cond = arith::SelectOp::create(b, l, is, ck, cond);
            }
          }
          if (anyMissing) {
            Value nan = arith::CmpFOp::create(b, l, P::UNO, xv, xv);
            Value tracks = arith::CmpIOp::create(
                b, l, arith::CmpIPredicate::ne, at(missT, i), ci(0));
            cond = arith::OrIOp::create(
                b, l, cond, arith::AndIOp::create(b, l, nan, tracks));
          }
          Value to = arith::SelectOp::create(b, l, cond, at(trueT, i),
                                             at(falseT, i));
          node = arith::SelectOp::create(b, l, atLeaf, node, to);
        }
        return {arith::SubIOp::create(b, l, node, numNodes).getResult()};
      })[0];

  // Y[n, t] = aggregate over the trees of table[leaf(n, tree), t].
  Value init = tensor::EmptyOp::create(c.b, type.getShape(), elem);
  init = linalg::FillOp::create(
             c.b, ValueRange{arith::ConstantOp::create(
                      c.b, elem, FloatAttr::get(elem, agg == MIN || agg == MAX
                                                          ? identity
                                                          : 0.0))},
             ValueRange{init})
             .getResult(0);
  Value y = loopNest(
      c, init, {trees},
      [&](OpBuilder &b, Location l, ValueRange accs) -> SmallVector<Value> {
        Value sample = linalg::IndexOp::create(b, l, 0);
        Value t = linalg::IndexOp::create(b, l, 1);
        Value tree = linalg::IndexOp::create(b, l, 2);
        Value leaf = tensor::ExtractOp::create(b, l, leafOf,
                                               ValueRange{sample, tree});
        // The walk ends at a leaf (depth covers every tree); the clamp
        // keeps the read inside the table regardless.
        leaf = arith::MinSIOp::create(
            b, l,
            arith::MaxSIOp::create(b, l, leaf,
                                   arith::ConstantIntOp::create(b, l, 0, 32)),
            arith::ConstantIntOp::create(b, l, int64_t(leaves) - 1, 32));
        Value w = tensor::ExtractOp::create(
            b, l, leafT,
            ValueRange{arith::IndexCastOp::create(b, l, b.getIndexType(), leaf),
                       t});
        Value acc = accs[0];
        if (agg == MIN)
          return {arith::MinimumFOp::create(b, l, acc, w).getResult()};
        if (agg == MAX)
          return {arith::MaximumFOp::create(b, l, acc, w).getResult()};
        return {arith::AddFOp::create(b, l, acc, w).getResult()};
      })[0];
  c.setOutput(0, y);
  return success();
}

} // namespace

void mlir::dlc::appendTreeEnsembleHandlers(std::vector<OpHandler> &t) {
  t.push_back({"TreeEnsemble", 5, importTreeEnsemble, "ai.onnx.ml"});
}
