/* Replays inputs through the runtime's fuzz target without libFuzzer
 * (test/runtime/checks.test runs test/fuzz/regressions/runtime with it). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; ++i) {
    FILE *f = fopen(argv[i], "rb");
    uint8_t *data;
    long size;
    if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET)) {
      fprintf(stderr, "cannot read %s\n", argv[i]);
      return 1;
    }
    data = (uint8_t *)malloc((size_t)size + 1);
    if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
      fprintf(stderr, "cannot read %s\n", argv[i]);
      return 1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, (size_t)size);
    free(data);
  }
  printf("replayed %d input(s)\n", argc - 1);
  return 0;
}
