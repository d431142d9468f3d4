//===- ModelMutator.h - structure-aware mutations of ONNX models ----------===//
//
// libFuzzer's byte mutations rarely get past the protobuf parser with a
// model that still means something; these mutate a parsed ModelProto through
// protobuf reflection instead (any scalar, string or repeated field, with
// the values that break size arithmetic), plus ONNX-aware edits: dims, data
// types, raw_data sizes, attribute values, graph edges, operator types and
// external data. Shared by every fuzz target that takes a model.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_TOOLS_DLC_FUZZ_MODELMUTATOR_H
#define DLC_COMPILER_TOOLS_DLC_FUZZ_MODELMUTATOR_H

#include <cstddef>
#include <cstdint>
#include <random>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace dlc::fuzz {

/// Applies one to four random mutations to `model`.
void mutateModel(onnx::ModelProto &model, std::mt19937_64 &rng);

/// The libFuzzer custom-mutator body: parses `data` as a model, mutates it
/// and writes it back; falls back to byte mutations (`byteMutate`) when the
/// bytes do not parse or the result would not fit in `maxSize`.
size_t mutateBytes(uint8_t *data, size_t size, size_t maxSize, unsigned seed,
                   size_t (*byteMutate)(uint8_t *, size_t, size_t));

} // namespace dlc::fuzz

#endif // DLC_COMPILER_TOOLS_DLC_FUZZ_MODELMUTATOR_H
