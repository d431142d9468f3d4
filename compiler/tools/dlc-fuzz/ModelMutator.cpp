//===- ModelMutator.cpp - structure-aware mutations of ONNX models --------===//
//
// Hand-written rather than libprotobuf-mutator (not packaged by Debian): the
// reflection walk below is all this needs, and the ONNX-aware edits aim at
// what a generic mutator reaches rarely (consistent names across edges,
// sizes that overflow, external data).
//
//===----------------------------------------------------------------------===//
#include "compiler/tools/dlc-fuzz/ModelMutator.h"

#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstring>
#include <string>
#include <vector>

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

namespace {

using Rng = std::mt19937_64;

size_t pick(Rng &rng, size_t n) { return n ? rng() % n : 0; }

/// Values that break size arithmetic: zero, negatives, powers of two at
/// the 31/32/62/63-bit boundaries.
int64_t interestingInt(Rng &rng) {
  static const int64_t values[] = {0,  1,  -1, 2,  3,  7,  16, 255, 256,
                                   -2, 65535, 65536, INT32_MAX,
                                   int64_t(INT32_MAX) + 1, -int64_t(INT32_MAX) - 1,
                                   UINT32_MAX, int64_t(1) << 40,
                                   int64_t(1) << 62, INT64_MAX, INT64_MIN};
  if (rng() % 4 == 0)
    return int64_t(rng() % 64) - 8;
  return values[pick(rng, std::size(values))];
}

double interestingFloat(Rng &rng) {
  static const double values[] = {0.0, -0.0, 1.0, -1.0, 0.5, 1e-30, 1e30,
                                  3.4e38, -3.4e38, INFINITY, -INFINITY, NAN};
  return values[pick(rng, std::size(values))];
}

/// One mutable place: a field of a message, and an index if repeated.
struct Slot {
  Message *msg;
  const FieldDescriptor *field;
};

void collect(Message &msg, std::vector<Slot> &slots, int depth) {
  const Reflection *r = msg.GetReflection();
  const auto *d = msg.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor *f = d->field(i);
    slots.push_back({&msg, f});
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || depth > 12)
      continue;
    if (f->is_repeated()) {
      for (int k = 0; k < r->FieldSize(msg, f); ++k)
        collect(*r->MutableRepeatedMessage(&msg, f, k), slots, depth + 1);
    } else if (r->HasField(msg, f)) {
      collect(*r->MutableMessage(&msg, f), slots, depth + 1);
    }
  }
}

/// Every value name in the model (edges), for rewiring.
void names(const onnx::GraphProto &g, std::vector<std::string> &out) {
  for (const auto &n : g.node()) {
    out.insert(out.end(), n.input().begin(), n.input().end());
    out.insert(out.end(), n.output().begin(), n.output().end());
    for (const auto &a : n.attribute()) {
      if (a.has_g())
        names(a.g(), out);
    }
  }
  for (const auto &t : g.initializer())
    out.push_back(t.name());
}

std::string mutateString(const std::string &s, const FieldDescriptor *f,
                         const std::vector<std::string> &valueNames, Rng &rng) {
  const std::string &name = f->name();
  if ((name == "input" || name == "output" || name == "name") &&
      !valueNames.empty() && rng() % 2)
    return valueNames[pick(rng, valueNames.size())];
  if (name == "op_type" && rng() % 2) {
    static std::vector<std::string> ops = [] {
      std::vector<std::string> v;
      for (const auto &s : onnx::OpSchemaRegistry::get_all_schemas())
        if (s.domain().empty())
          v.push_back(s.Name());
      return v;
    }();
    return ops[pick(rng, ops.size())];
  }
  std::string t = s;
  switch (rng() % 5) {
  case 0: return "";
  case 1: t.resize(pick(rng, t.size() + 1)); return t;
  case 2: return t + t;
  case 3:
    if (!t.empty())
      t[pick(rng, t.size())] ^= char(1u << (rng() % 8));
    return t;
  default:
    t.append(pick(rng, 16), char(rng()));
    return t;
  }
}

void mutateSlot(const Slot &s, const std::vector<std::string> &valueNames,
                Rng &rng) {
  Message &m = *s.msg;
  const Reflection *r = m.GetReflection();
  const FieldDescriptor *f = s.field;
  if (f->is_repeated()) {
    int n = r->FieldSize(m, f);
    switch (n ? rng() % 4 : 3) {
    case 0: // Remove one element.
      r->SwapElements(&m, f, pick(rng, n), n - 1);
      r->RemoveLast(&m, f);
      return;
    case 1: // Swap two.
      r->SwapElements(&m, f, pick(rng, n), pick(rng, n));
      return;
    case 2: { // Change one in place.
      int k = pick(rng, n);
      switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT64: r->SetRepeatedInt64(&m, f, k, interestingInt(rng)); return;
      case FieldDescriptor::CPPTYPE_INT32: r->SetRepeatedInt32(&m, f, k, int32_t(interestingInt(rng))); return;
      case FieldDescriptor::CPPTYPE_UINT64: r->SetRepeatedUInt64(&m, f, k, uint64_t(interestingInt(rng))); return;
      case FieldDescriptor::CPPTYPE_FLOAT: r->SetRepeatedFloat(&m, f, k, float(interestingFloat(rng))); return;
      case FieldDescriptor::CPPTYPE_DOUBLE: r->SetRepeatedDouble(&m, f, k, interestingFloat(rng)); return;
      case FieldDescriptor::CPPTYPE_STRING:
        r->SetRepeatedString(&m, f, k, mutateString(r->GetRepeatedString(m, f, k), f, valueNames, rng));
        return;
      default: return;
      }
    }
    default: // Append one (a copy of an existing message, or a value).
      switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT64: r->AddInt64(&m, f, interestingInt(rng)); return;
      case FieldDescriptor::CPPTYPE_INT32: r->AddInt32(&m, f, int32_t(interestingInt(rng))); return;
      case FieldDescriptor::CPPTYPE_UINT64: r->AddUInt64(&m, f, uint64_t(interestingInt(rng))); return;
      case FieldDescriptor::CPPTYPE_FLOAT: r->AddFloat(&m, f, float(interestingFloat(rng))); return;
      case FieldDescriptor::CPPTYPE_DOUBLE: r->AddDouble(&m, f, interestingFloat(rng)); return;
      case FieldDescriptor::CPPTYPE_STRING:
        r->AddString(&m, f, valueNames.empty() ? "" : valueNames[pick(rng, valueNames.size())]);
        return;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (n) {
          Message *copy = r->GetRepeatedMessage(m, f, pick(rng, n)).New();
          copy->CopyFrom(r->GetRepeatedMessage(m, f, pick(rng, n)));
          r->AddAllocatedMessage(&m, f, copy);
        }
        return;
      default: return;
      }
    }
  }
  switch (f->cpp_type()) {
  case FieldDescriptor::CPPTYPE_INT64: r->SetInt64(&m, f, interestingInt(rng)); return;
  case FieldDescriptor::CPPTYPE_INT32: r->SetInt32(&m, f, int32_t(interestingInt(rng))); return;
  case FieldDescriptor::CPPTYPE_UINT64: r->SetUInt64(&m, f, uint64_t(interestingInt(rng))); return;
  case FieldDescriptor::CPPTYPE_UINT32: r->SetUInt32(&m, f, uint32_t(interestingInt(rng))); return;
  case FieldDescriptor::CPPTYPE_FLOAT: r->SetFloat(&m, f, float(interestingFloat(rng))); return;
  case FieldDescriptor::CPPTYPE_DOUBLE: r->SetDouble(&m, f, interestingFloat(rng)); return;
  case FieldDescriptor::CPPTYPE_BOOL: r->SetBool(&m, f, !r->GetBool(m, f)); return;
  case FieldDescriptor::CPPTYPE_ENUM: {
    const auto *e = f->enum_type();
    r->SetEnum(&m, f, e->value(pick(rng, e->value_count())));
    return;
  }
  case FieldDescriptor::CPPTYPE_STRING:
    r->SetString(&m, f, mutateString(r->GetString(m, f), f, valueNames, rng));
    return;
  case FieldDescriptor::CPPTYPE_MESSAGE:
    r->ClearField(&m, f);
    return;
  default: return;
  }
}

/// Moves one tensor's data outside the model, to a location that tests
/// the external-data rules.
void externalize(onnx::ModelProto &model, Rng &rng) {
  auto *g = model.mutable_graph();
  if (!g->initializer_size())
    return;
  auto *t = g->mutable_initializer(pick(rng, g->initializer_size()));
  static const char *locations[] = {"weights.bin", "../weights.bin",
                                    "/etc/passwd", "",  "fifo",
                                    ".",           "missing.bin"};
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  t->clear_raw_data();
  auto *kv = t->add_external_data();
  kv->set_key("location");
  kv->set_value(locations[pick(rng, std::size(locations))]);
  if (rng() % 2) {
    auto *off = t->add_external_data();
    off->set_key(rng() % 2 ? "offset" : "length");
    off->set_value(std::to_string(interestingInt(rng)));
  }
}

} // namespace

void dlc::fuzz::mutateModel(onnx::ModelProto &model, Rng &rng) {
  int rounds = 1 + rng() % 4;
  for (int i = 0; i < rounds; ++i) {
    if (rng() % 16 == 0) {
      externalize(model, rng);
      continue;
    }
    std::vector<Slot> slots;
    collect(model, slots, 0);
    std::vector<std::string> valueNames;
    names(model.graph(), valueNames);
    if (!slots.empty())
      mutateSlot(slots[pick(rng, slots.size())], valueNames, rng);
  }
}

size_t dlc::fuzz::mutateBytes(uint8_t *data, size_t size, size_t maxSize,
                              unsigned seed,
                              size_t (*byteMutate)(uint8_t *, size_t, size_t)) {
  std::mt19937_64 rng(seed);
  onnx::ModelProto model;
  if (rng() % 8 == 0 || !model.ParseFromArray(data, int(size)))
    return byteMutate(data, size, maxSize);
  mutateModel(model, rng);
  std::string out;
  if (!model.SerializeToString(&out) || out.size() > maxSize)
    return byteMutate(data, size, maxSize);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}
