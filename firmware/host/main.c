/* Host harness for a generated mnc package.
 * Usage: mnc_host INPUT.bin OUTPUT.bin            (built with -DMNC_DUMP: ... OUTPUT.bin DUMP.bin)
 * Reads MNC_INPUT_SIZE int8 bytes, runs the model once, writes MNC_OUTPUT_SIZE bytes.
 * Built with -DMNC_PROFILE it also prints "layer <index> <seconds> <name>" per layer on stdout.
 * Built with -DMNC_DUMP it writes every layer's output to DUMP.bin as records
 * <uint32 layer><uint32 bytes><bytes...> (host byte order), in execution order. */
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

#ifdef MNC_DUMP
static FILE *dump_file;
static int dump_failed;

void mnc_dump_layer(int layer, const int8_t *output, uint32_t bytes)
{
    const uint32_t header[2] = {(uint32_t)layer, bytes};
    if (fwrite(header, sizeof header, 1, dump_file) != 1 || fwrite(output, 1, bytes, dump_file) != bytes) {
        dump_failed = 1;
    }
}

#define HARNESS_ARGS 4
#else
#define HARNESS_ARGS 3
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
    if (argc != HARNESS_ARGS) {
        fprintf(stderr, "usage: %s INPUT.bin OUTPUT.bin%s\n", argv[0], HARNESS_ARGS == 4 ? " DUMP.bin" : "");
        return 2;
    }
    if (!read_exact(argv[1], input, sizeof input)) {
        return 1;
    }
#ifdef MNC_DUMP
    dump_file = fopen(argv[3], "wb");
    if (dump_file == NULL) {
        fprintf(stderr, "error: cannot create %s\n", argv[3]);
        return 1;
    }
#endif
    mnc_invoke(input, output);
#ifdef MNC_DUMP
    if ((fclose(dump_file) != 0) || dump_failed) {
        fprintf(stderr, "error: cannot write %s\n", argv[3]);
        return 1;
    }
#endif
    return write_exact(argv[2], output, sizeof output) ? 0 : 1;
}
