//===- TreeEnsemble.cpp - ai.onnx.ml tree ensembles -----------------------===//
//
// TreeEnsemble (opset 5) and the older TreeEnsembleRegressor/Classifier
// that scikit-learn converters write: a forest of decision trees over
// X [N, F], all three parsed into one Forest and emitted alike. The trees are attributes, so
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
// so the run-time walk knows six comparisons only. The depth is unrolled,
// so it is capped (kMaxDepth) and checked, cycles included, at import.
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

/// A forest ready to emit: node tables after MEMBER expansion and the
/// dense leaf table. A child or root is an internal node (0..nodes-1) or a
/// leaf (encoded after the nodes: nodes + leaf).
struct Forest {
  std::vector<int32_t> feature, mode, missingTrue;
  std::vector<double> split;
  std::vector<int64_t> child[2]; // [0] true branch, [1] false branch
  std::vector<bool> childIsLeaf[2];
  std::vector<std::pair<bool, int64_t>> roots; // (is a leaf, index)
  int64_t depth = 0;
  int64_t leaves = 0, targets = 0;
  /// [leaves, targets]: each leaf's weights, the aggregation's identity
  /// where a leaf has none for a target (AVERAGE: pre-divided by the
  /// number of trees).
  std::vector<double> table;
  int64_t aggregate = SUM;
  double identity = 0;      // the initial value of MIN and MAX
  std::vector<double> base; // per target, added at the end (may be empty)

  int64_t addNode(int64_t feat, int32_t m, double s, int32_t miss) {
    feature.push_back(int32_t(feat));
    mode.push_back(m);
    split.push_back(s);
    missingTrue.push_back(miss);
    for (int side = 0; side < 2; ++side) {
      child[side].push_back(0);
      childIsLeaf[side].push_back(false);
    }
    return int64_t(feature.size() - 1);
  }
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

/// The walk's depth over every tree (fails on a cycle or a tree deeper
/// than kMaxDepth), and the size checks of the tables.
LogicalResult finishForest(ImportContext &c, Forest &f, Type outElem) {
  if (int64_t(f.feature.size()) + f.leaves >= INT32_MAX)
    return c.fail("the forest has too many nodes");
  auto tableType = RankedTensorType::get({f.leaves, f.targets}, outElem);
  if (!isReasonableSize(tableType, c.limits.maxTensorBytes))
    return c.fail("the leaf table (" + Twine(f.leaves) + " leaves x " +
                  Twine(f.targets) + " targets) exceeds --max-tensor-bytes");
  std::vector<int64_t> memo(f.feature.size(), -2);
  for (auto [isLeaf, r] : f.roots) {
    if (isLeaf)
      continue;
    int64_t d = memo[r] >= 0 ? memo[r] : treeDepth(f, r, memo);
    if (d < 0)
      return c.fail("the tree at root " + Twine(r) +
                    " has a cycle or is deeper than " + Twine(kMaxDepth) +
                    " levels");
    f.depth = std::max(f.depth, d);
  }
  return success();
}

/// Y [N, targets] of `outElem` for X [N, F]: the leaf of every (sample,
/// tree) pair, then the aggregate of the leaves' table rows.
Value emitForest(ImportContext &c, Value x, Type outElem, const Forest &f) {
  auto xt = cast<RankedTensorType>(x.getType());
  Type elem = xt.getElementType();
  int64_t n = xt.getDimSize(0), targets = f.targets;
  int64_t leaves = f.leaves, agg = f.aggregate;
  // Constant tables.
  Type i32 = c.b.getI32Type();
  int64_t m = f.feature.size();
  auto constI32 = [&](ArrayRef<int32_t> v) -> Value {
    auto t = RankedTensorType::get({int64_t(v.size())}, i32);
    return tosa::ConstOp::create(c.b, t, DenseElementsAttr::get(t, v));
  };
  auto constOf = [&](Type elem, ArrayRef<int64_t> shape,
                     ArrayRef<double> v) -> Value {
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
  std::vector<int32_t> rootTable;
  for (auto [isLeaf, r] : f.roots)
    rootTable.push_back(int32_t(isLeaf ? m + r : r));
  Value featureT = constI32(f.feature), modeT = constI32(f.mode),
        missT = constI32(f.missingTrue), trueT = constI32(next[0]),
        falseT = constI32(next[1]), rootT = constI32(rootTable);
  Value splitT = constOf(elem, {m}, f.split);
  Value leafT = constOf(outElem, {leaves, targets}, f.table);
  // One comparison for the whole forest where every node uses the same
  // one (scikit-learn writes only LEQ); otherwise a select over the mode.
  bool oneMode = llvm::all_equal(f.mode);
  bool anyMissing = llvm::is_contained(f.missingTrue, 1);

  int64_t trees = f.roots.size();
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
  Value init = tensor::EmptyOp::create(c.b, ArrayRef<int64_t>{n, targets},
                                       outElem);
  init = linalg::FillOp::create(
             c.b, ValueRange{arith::ConstantOp::create(
                      c.b, outElem, FloatAttr::get(outElem, agg == MIN || agg == MAX
                                                                ? f.identity
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
  if (!f.base.empty()) {
    auto rowT = RankedTensorType::get({1, targets}, outElem);
    y = tosa::AddOp::create(c.b, y.getType(), y,
                            constOf(outElem, rowT.getShape(), f.base));
  }
  return y;
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
  int64_t features = xt.getDimSize(1);
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
    f.addNode(featureIds[i], modes[i] == MEMBER ? EQ : modes[i], (*splits)[i],
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
      int64_t e = f.addNode(f.feature[i], EQ, set[k], f.missingTrue[i]);
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
  for (int64_t r : roots) {
    if (r < 0 || r >= int64_t(nodes))
      return c.fail("tree root " + Twine(r) + " is not a node");
    f.roots.push_back({false, r});
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
  f.leaves = leaves;
  f.targets = targets;
  f.aggregate = agg;
  f.identity = identity;
  if (failed(finishForest(c, f, elem)))
    return failure();
  std::vector<double> &table = f.table;
  table.assign(leaves * targets, identity);
  for (size_t l = 0; l < leaves; ++l) {
    if (leafTargets[l] < 0 || leafTargets[l] >= targets)
      return c.fail("leaf " + Twine(l) + " has target " +
                    Twine(leafTargets[l]) + " of " + Twine(targets));
    double w = (*weights)[l];
    table[l * targets + leafTargets[l]] =
        agg == AVERAGE ? w / double(roots.size()) : w;
  }

  c.setOutput(0, emitForest(c, x, elem, f));
  return success();
}

/// The attribute `name` of the node, or null.
const onnx::AttributeProto *findAttr(ImportContext &c, llvm::StringRef name) {
  for (const onnx::AttributeProto &a : c.node->attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

/// A list of floats given as `name` (floats) or `name`_as_tensor (float or
/// double tensor), the older operators' two spellings.
std::vector<double> attrReals(ImportContext &c, llvm::StringRef name) {
  if (auto t = attrDoubles(c, (name + "_as_tensor").str()))
    return *t;
  std::vector<double> out;
  if (const onnx::AttributeProto *a = findAttr(c, name))
    out.assign(a->floats().begin(), a->floats().end());
  return out;
}

/// The forest of TreeEnsembleRegressor/Classifier (ai.onnx.ml 1 and 3), as
/// scikit-learn converters write it: nodes keyed by (tree id, node id),
/// leaves are LEAF nodes with any number of (column, weight) entries in the
/// `prefix`_treeids/_nodeids/_ids/_weights lists, base_values added at
/// the end. It maps onto the TreeEnsemble tables: LEAF nodes become
/// leaves, each tree's root is its one node that no other node branches
/// to. `columns` is the width of the leaf table.
LogicalResult legacyForest(ImportContext &c, int64_t features, int64_t columns,
                           llvm::StringRef prefix, bool average, Forest &f) {
  auto list = [&](llvm::StringRef what) {
    return c.attrInts((prefix + "_" + what).str());
  };
  std::vector<int64_t> treeIds = c.attrInts("nodes_treeids"),
                       nodeIds = c.attrInts("nodes_nodeids"),
                       featureIds = c.attrInts("nodes_featureids"),
                       trueIds = c.attrInts("nodes_truenodeids"),
                       falseIds = c.attrInts("nodes_falsenodeids"),
                       missing = c.attrInts("nodes_missing_value_tracks_true"),
                       tTrees = list("treeids"), tNodes = list("nodeids"),
                       tIds = list("ids");
  std::vector<double> values = attrReals(c, "nodes_values"),
                      weights = attrReals(c, (prefix + "_weights").str()),
                      base = attrReals(c, "base_values");
  std::vector<std::string> modes;
  if (const onnx::AttributeProto *a = findAttr(c, "nodes_modes"))
    modes.assign(a->strings().begin(), a->strings().end());
  size_t count = nodeIds.size();
  if (!count || treeIds.size() != count || featureIds.size() != count ||
      trueIds.size() != count || falseIds.size() != count ||
      modes.size() != count || values.size() != count ||
      (!missing.empty() && missing.size() != count))
    return c.fail("the nodes_* attributes must be present with one value per "
                  "node");
  if (tTrees.size() != tNodes.size() || tIds.size() != tNodes.size() ||
      weights.size() != tNodes.size())
    return c.fail("the " + prefix + "_* attributes need one value per entry");
  // One base value serves every column (the reference broadcasts it).
  if (base.size() == 1)
    base.assign(columns, base[0]);
  if (!base.empty() && int64_t(base.size()) != columns)
    return c.fail("base_values needs one value or one per " +
                  (prefix == "class" ? Twine("class") : Twine("target")));

  static const llvm::StringMap<int32_t> modeOf = {
      {"BRANCH_LEQ", LEQ}, {"BRANCH_LT", LT}, {"BRANCH_GTE", GTE},
      {"BRANCH_GT", GT},   {"BRANCH_EQ", EQ}, {"BRANCH_NEQ", NEQ}};
  // (tree, node id) -> position; positions -> internal node or leaf.
  std::map<std::pair<int64_t, int64_t>, size_t> pos;
  std::vector<std::pair<bool, int64_t>> ref(count);
  for (size_t i = 0; i < count; ++i) {
    if (!pos.insert({{treeIds[i], nodeIds[i]}, i}).second)
      return c.fail("tree " + Twine(treeIds[i]) + " lists node " +
                    Twine(nodeIds[i]) + " twice");
    if (modes[i] == "LEAF") {
      ref[i] = {true, f.leaves++};
      continue;
    }
    auto m = modeOf.find(modes[i]);
    if (m == modeOf.end())
      return c.fail("node " + Twine(nodeIds[i]) + " of tree " +
                    Twine(treeIds[i]) + " has mode '" + modes[i] + "'");
    if (featureIds[i] < 0 || featureIds[i] >= features)
      return c.fail("node " + Twine(nodeIds[i]) + " of tree " +
                    Twine(treeIds[i]) + " tests feature " +
                    Twine(featureIds[i]) + " of " + Twine(features));
    ref[i] = {false, f.addNode(featureIds[i], m->second, values[i],
                               missing.empty() ? 0 : missing[i] != 0)};
  }
  // Branches within the tree; each tree's root is its unreferenced node.
  std::map<int64_t, std::vector<size_t>> treeNodes; // ordered: trees by id
  std::vector<bool> referenced(count, false);
  for (size_t i = 0; i < count; ++i) {
    treeNodes[treeIds[i]].push_back(i);
    if (ref[i].first)
      continue;
    for (int s = 0; s < 2; ++s) {
      auto it = pos.find({treeIds[i], s ? falseIds[i] : trueIds[i]});
      if (it == pos.end())
        return c.fail("node " + Twine(nodeIds[i]) + " of tree " +
                      Twine(treeIds[i]) + " branches to a node the tree lacks");
      referenced[it->second] = true;
      f.child[s][ref[i].second] = ref[it->second].second;
      f.childIsLeaf[s][ref[i].second] = ref[it->second].first;
    }
  }
  for (auto &[tree, members] : treeNodes) {
    std::optional<size_t> root;
    for (size_t i : members)
      if (!referenced[i]) {
        if (root)
          return c.fail("tree " + Twine(tree) + " has more than one root");
        root = i;
      }
    if (!root)
      return c.fail("tree " + Twine(tree) + " has no root (a cycle)");
    f.roots.push_back(ref[*root]);
  }
  f.targets = columns;
  f.aggregate = average ? AVERAGE : SUM;
  f.base = base;
  if (failed(finishForest(c, f, c.b.getF32Type())))
    return failure();
  f.table.assign(f.leaves * columns, 0.0);
  double scale = average ? 1.0 / double(f.roots.size()) : 1.0;
  for (size_t e = 0; e < tNodes.size(); ++e) {
    auto it = pos.find({tTrees[e], tNodes[e]});
    if (it == pos.end() || !ref[it->second].first)
      return c.fail(prefix + " entry " + Twine(e) + " names no leaf");
    if (tIds[e] < 0 || tIds[e] >= columns)
      return c.fail(prefix + " entry " + Twine(e) + " has id " +
                    Twine(tIds[e]) + " of " + Twine(columns));
    f.table[ref[it->second].second * columns + tIds[e]] += weights[e] * scale;
  }
  return success();
}

/// X [N, F] of a floating type (the checks both legacy operators share).
LogicalResult checkLegacyInput(ImportContext &c, Value x) {
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getRank() != 2 || !isa<FloatType>(xt.getElementType()))
    return c.fail("expects floating-point X [N, F]");
  return success();
}

/// TreeEnsembleRegressor (ai.onnx.ml 1 and 3): Y [N, n_targets] float.
LogicalResult importTreeEnsembleRegressor(ImportContext &c) {
  RankedTensorType type = c.resultType(1);
  if (!type)
    return failure();
  Value x = c.input(0);
  if (failed(checkLegacyInput(c, x)))
    return failure();
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t targets = c.attrInt("n_targets", 1);
  if (type.getShape() != ArrayRef<int64_t>{xt.getDimSize(0), targets} ||
      !type.getElementType().isF32() || targets < 1)
    return c.fail("Y must be float [N, n_targets]");
  std::string post = c.attrString("post_transform", "NONE");
  if (post != "NONE")
    return c.fail("post_transform '" + post + "' is not supported (only NONE)");
  std::string aggName = c.attrString("aggregate_function", "SUM");
  if (aggName != "SUM" && aggName != "AVERAGE")
    return c.fail("aggregate_function '" + aggName +
                  "' is not supported (SUM or AVERAGE)");
  Forest f;
  if (failed(legacyForest(c, xt.getDimSize(1), targets, "target",
                          aggName == "AVERAGE", f)))
    return failure();
  c.setOutput(0, emitForest(c, x, type.getElementType(), f));
  return success();
}

/// TreeEnsembleClassifier (ai.onnx.ml 1 and 3): class scores summed over the
/// trees plus base_values, then ONNX's reference rules: when every entry
/// names one class the problem is binary and the scores become [1 - p, p]
/// (NONE) or [-p, p] (LOGISTIC, SOFTMAX); then the post_transform; the
/// label is classlabels_int64s at the first highest score (string labels
/// are not tensors dlc can return).
LogicalResult importTreeEnsembleClassifier(ImportContext &c) {
  RankedTensorType labelType = c.resultType(1);
  if (!labelType)
    return failure();
  RankedTensorType scoreType = c.outputType(1);
  if (!scoreType)
    return failure();
  Value x = c.input(0);
  if (failed(checkLegacyInput(c, x)))
    return failure();
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t n = xt.getDimSize(0);
  std::vector<int64_t> labels = c.attrInts("classlabels_int64s");
  if (labels.empty())
    return c.fail("needs classlabels_int64s (string labels are not supported)");
  std::vector<int64_t> classIds = c.attrInts("class_ids");
  if (classIds.empty())
    return c.fail("class_ids lists no entry");
  bool binary = llvm::all_equal(classIds);
  int64_t classes = labels.size(), columns = classes;
  // (ONNX's reference gives a single label two score columns where shape
  // inference gives one: such models are rejected rather than guessed.)
  if (classes < 2 || (binary && classes > 2))
    return c.fail("needs 2 or more class labels, and exactly 2 when every "
                  "class entry names one class (the binary rule)");
  std::string post = c.attrString("post_transform", "NONE");
  if (post != "NONE" && post != "LOGISTIC" && post != "SOFTMAX")
    return c.fail("post_transform '" + post +
                  "' is not supported (NONE, LOGISTIC or SOFTMAX)");
  Type f32 = c.b.getF32Type();
  if (labelType.getShape() != ArrayRef<int64_t>{n} ||
      !labelType.getElementType().isInteger(64) ||
      scoreType.getShape() != ArrayRef<int64_t>{n, columns} ||
      scoreType.getElementType() != f32)
    return c.fail("Y must be int64 [N] and Z float [N, " + Twine(columns) + "]");
  Forest f;
  if (failed(legacyForest(c, xt.getDimSize(1), classes, "class", false, f)))
    return failure();
  Value z = emitForest(c, x, f32, f);
  if (binary) {
    Value p = c.slice(z, {0, 0}, {n, 1});
    auto colT = RankedTensorType::get({n, 1}, f32);
    Value q = tosa::SubOp::create(c.b, colT,
                                  c.splat(colT, post == "NONE" ? 1.0 : 0.0), p);
    z = tosa::ConcatOp::create(c.b, scoreType, ValueRange{q, p},
                               c.b.getI32IntegerAttr(1));
  }
  if (post == "LOGISTIC")
    z = tosa::SigmoidOp::create(c.b, scoreType, z);
  if (post == "SOFTMAX") {
    auto rowT = RankedTensorType::get({n, 1}, f32);
    Value e = tosa::ExpOp::create(
        c.b, scoreType, tosa::SubOp::create(c.b, scoreType, z, c.reduceMax(z, 1)));
    Value inv = tosa::ReciprocalOp::create(c.b, rowT, c.reduceSum(e, 1));
    z = c.mul(e, inv, scoreType);
  }
  // Labels: the class of the first highest score.
  auto i32 = c.b.getI32Type();
  Value best = tosa::ArgMaxOp::create(c.b, RankedTensorType::get({n}, i32), z,
                                      c.b.getI32IntegerAttr(1));
  const std::vector<int64_t> &table = labels;
  auto tableT = RankedTensorType::get({int64_t(table.size())}, c.b.getI64Type());
  Value labelT = tosa::ConstOp::create(
      c.b, tableT, DenseElementsAttr::get(tableT, ArrayRef<int64_t>(table)));
  Value y = mapElements(c, best, c.b.getI64Type(),
                        [&](OpBuilder &b, Location l, Value i) -> Value {
                          Value at = arith::IndexCastOp::create(
                              b, l, b.getIndexType(),
                              arith::MinSIOp::create(
                                  b, l,
                                  arith::MaxSIOp::create(
                                      b, l, i,
                                      arith::ConstantIntOp::create(b, l, 0, 32)),
                                  arith::ConstantIntOp::create(
                                      b, l, int64_t(table.size()) - 1, 32)));
                          return tensor::ExtractOp::create(b, l, labelT, at);
                        });
  c.setOutput(0, y);
  c.setOutput(1, z);
  return success();
}

} // namespace

void mlir::dlc::appendTreeEnsembleHandlers(std::vector<OpHandler> &t) {
  const char *domain = "ai.onnx.ml";
  t.push_back({"TreeEnsemble", 5, importTreeEnsemble, domain});
  t.push_back({"TreeEnsembleRegressor", 1, importTreeEnsembleRegressor, domain});
  t.push_back({"TreeEnsembleClassifier", 1, importTreeEnsembleClassifier, domain});
}
