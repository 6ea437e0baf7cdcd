/* Host harness for a generated mnc package.
 * Usage: mnc_host INPUT.bin OUTPUT.bin
 * Reads MNC_INPUT_SIZE int8 bytes, runs the model once, writes MNC_OUTPUT_SIZE bytes.
 * Built with -DMNC_PROFILE it also prints "layer <index> <seconds> <name>" per layer on stdout. */
#include <stdint.h>
#include <stdio.h>

#include "model.h"

#ifdef MNC_PROFILE
#include <time.h>

static clock_t layer_started;

void mnc_profile_layer_start(int layer)
{
    (void)layer;
    layer_started = clock();
}

void mnc_profile_layer_end(int layer)
{
    const double seconds = (double)(clock() - layer_started) / CLOCKS_PER_SEC;
    printf("layer %d %.9f %s\n", layer, seconds, mnc_layer_names[layer]);
}
#endif

static int read_exact(const char *path, int8_t *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "error: cannot open %s\n", path);
        return 0;
    }
    const size_t got = fread(buf, 1, size, f);
    const int extra = fgetc(f) != EOF;
    fclose(f);
    if (got != size || extra) {
        fprintf(stderr, "error: %s must hold exactly %lu bytes\n", path, (unsigned long)size);
        return 0;
    }
    return 1;
}

static int write_exact(const char *path, const int8_t *buf, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "error: cannot create %s\n", path);
        return 0;
    }
    const size_t put = fwrite(buf, 1, size, f);
    return (fclose(f) == 0) && put == size;
}

static int8_t input[MNC_INPUT_SIZE];
static int8_t output[MNC_OUTPUT_SIZE];

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s INPUT.bin OUTPUT.bin\n", argv[0]);
        return 2;
    }
    if (!read_exact(argv[1], input, sizeof input)) {
        return 1;
    }
    mnc_invoke(input, output);
    return write_exact(argv[2], output, sizeof output) ? 0 : 1;
}
