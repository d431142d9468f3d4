/* Classifies one 8x8 image with two builds of the same dlc model, using
 * only what the generated headers declare: static, aligned buffers sized by
 * the header macros, no malloc, no runtime library.
 *
 *   classify [image.bin [probs.bin]]
 *
 * image.bin holds NET_INPUT_0_SIZE bytes of float32 (a built-in gradient
 * otherwise); probs.bin receives the class probabilities. */
#include "net.h"
#include "net_small.h"

#include <stdio.h>
#include <string.h>

#define ALIGNED(n) __attribute__((aligned(n)))

static unsigned char workspace[NET_WORKSPACE_SIZE + 1] ALIGNED(NET_WORKSPACE_ALIGN);
static unsigned char workspace_small[NET_SMALL_WORKSPACE_SIZE + 1]
    ALIGNED(NET_SMALL_WORKSPACE_ALIGN);
static NET_INPUT_0_CTYPE image[NET_INPUT_0_ELEMENTS];
static NET_OUTPUT_0_CTYPE probs[NET_OUTPUT_0_ELEMENTS];
static NET_SMALL_OUTPUT_0_CTYPE probs_small[NET_SMALL_OUTPUT_0_ELEMENTS];

int main(int argc, char **argv) {
  const void *inputs[NET_NUM_INPUTS] = {image};
  void *outputs[NET_NUM_OUTPUTS] = {probs};
  void *outputs_small[NET_SMALL_NUM_OUTPUTS] = {probs_small};
  int best = 0;
  if (argc > 1) {
    FILE *f = fopen(argv[1], "rb");
    if (!f || fread(image, 1, sizeof(image), f) != sizeof(image)) {
      fprintf(stderr, "classify: cannot read %s\n", argv[1]);
      return 1;
    }
    fclose(f);
  } else {
    for (int i = 0; i < NET_INPUT_0_ELEMENTS; ++i)
      image[i] = (float)(i % 8) / 7.0f - (float)(i / 8) / 14.0f;
  }
  if (net_run(NULL, inputs, outputs, workspace) != 0 ||
      net_small_run(NULL, inputs, outputs_small, workspace_small) != 0) {
    fprintf(stderr, "classify: the model failed\n");
    return 1;
  }
  for (int i = 0; i < NET_OUTPUT_0_ELEMENTS; ++i) {
    printf("class %d: %.4f (small build: %.4f)\n", i, probs[i],
           probs_small[i]);
    if (probs[i] > probs[best])
      best = i;
  }
  printf("best: class %d; workspace %u bytes, stack <= %u bytes\n", best,
         (unsigned)NET_WORKSPACE_SIZE, (unsigned)NET_MAX_STACK_SIZE);
  if (argc > 2) {
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(probs, 1, sizeof(probs), f) != sizeof(probs))
      return 1;
    fclose(f);
  }
  return 0;
}
