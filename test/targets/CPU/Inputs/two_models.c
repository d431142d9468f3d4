/* Links two dlc firmware objects (prefixes cnn and act) into one program and
 * runs both on deterministic inputs, using only the generated headers for
 * buffer sizes. Writes DIR/<prefix>/input_K.bin and output_K.bin so the
 * test can compare with the same models built for the host. */
#include "act.h"
#include "cnn.h"

#include <stdio.h>
#include <string.h>

#define ALIGNED(n) __attribute__((aligned(n)))
static unsigned char cnn_ws[CNN_WORKSPACE_SIZE + 1] ALIGNED(64);
static unsigned char act_ws[ACT_WORKSPACE_SIZE + 1] ALIGNED(64);
static CNN_INPUT_0_CTYPE cnn_in0[CNN_INPUT_0_ELEMENTS];
static CNN_OUTPUT_0_CTYPE cnn_out0[CNN_OUTPUT_0_ELEMENTS];
static ACT_INPUT_0_CTYPE act_in0[ACT_INPUT_0_ELEMENTS];
static ACT_INPUT_1_CTYPE act_in1[ACT_INPUT_1_ELEMENTS];
static ACT_OUTPUT_0_CTYPE act_out0[ACT_OUTPUT_0_ELEMENTS];

static void fill(float *p, int n, int seed) {
  unsigned s = (unsigned)seed * 2654435761u + 1;
  for (int i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
  }
}

static int dump(const char *dir, const char *name, const void *p, size_t n) {
  char path[1024];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(p, 1, n, f) != n)
    return 1;
  return fclose(f) != 0;
}

int main(int argc, char **argv) {
  char dir[1024];
  if (argc != 2)
    return 2;
  _Static_assert(sizeof(cnn_in0) == CNN_INPUT_0_SIZE, "input size");
  _Static_assert(sizeof(act_out0) == ACT_OUTPUT_0_SIZE, "output size");
  fill(cnn_in0, CNN_INPUT_0_ELEMENTS, 1);
  fill(act_in0, ACT_INPUT_0_ELEMENTS, 2);
  fill(act_in1, ACT_INPUT_1_ELEMENTS, 3);
  {
    const void *in[CNN_NUM_INPUTS] = {cnn_in0};
    void *out[CNN_NUM_OUTPUTS] = {cnn_out0};
    if (cnn_run(NULL, in, out, cnn_ws) != 0)
      return 1;
  }
  {
    const void *in[ACT_NUM_INPUTS] = {act_in0, act_in1};
    void *out[ACT_NUM_OUTPUTS] = {act_out0};
    if (act_run(NULL, in, out, act_ws) != 0)
      return 1;
  }
  snprintf(dir, sizeof(dir), "%s/cnn", argv[1]);
  if (dump(dir, "input_0.bin", cnn_in0, sizeof(cnn_in0)) ||
      dump(dir, "output_0.bin", cnn_out0, sizeof(cnn_out0)))
    return 1;
  snprintf(dir, sizeof(dir), "%s/act", argv[1]);
  if (dump(dir, "input_0.bin", act_in0, sizeof(act_in0)) ||
      dump(dir, "input_1.bin", act_in1, sizeof(act_in1)) ||
      dump(dir, "output_0.bin", act_out0, sizeof(act_out0)))
    return 1;
  printf("cnn: %s -> %s, act: %s\n", CNN_INPUT_0_NAME, CNN_OUTPUT_0_NAME,
         ACT_OUTPUT_0_NAME);
  return 0;
}
