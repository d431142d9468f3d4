//===- InitAll.h - the one registration site ------------------------------===//
//
// Every dialect, interface model, pass and translation dlc uses is registered
// here and nowhere else.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_INITALL_H
#define DLC_COMPILER_INITALL_H

namespace mlir {
class DialectRegistry;
namespace dlc {
void registerAllDialects(DialectRegistry &registry);
void registerAllPasses();
} // namespace dlc
} // namespace mlir

#endif // DLC_COMPILER_INITALL_H
