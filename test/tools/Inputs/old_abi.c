/* An artifact that only speaks model ABI version 1 (run entry without the
 * exec env): the runtime must refuse it with a clear error. */
#include <stddef.h>
#include <stdint.h>
static const int desc_v1[16];
const void *dlc_model_query(uint32_t abi_version) {
  return abi_version == 1 ? (const void *)desc_v1 : NULL;
}
