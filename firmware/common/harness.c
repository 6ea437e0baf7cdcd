/* Harness main: run the generated model once on the baked-in input and print, over
 * semihosting, the output bytes and the SysTick ticks the inference took. The runner on
 * the host turns ticks into retired instructions with the machine's clock. */
#include <stdint.h>
#include <string.h>

#include "model.h"
#include "semihost.h"
#include "stack.h"
#include "text.h"
#include "ticks.h"

extern const int8_t mnc_fw_input[MNC_INPUT_SIZE];


static void print_count(const char *tag, int index, uint64_t ticks)
{
    char line[64];
    char *end = fw_append_text(line, tag);
    if (index >= 0) {
        end = fw_append_u64(end, (uint64_t)index);
        end = fw_append_text(end, " ");
    }
    end = fw_append_u64(end, ticks);
    end = fw_append_text(end, "\n");
    *end = '\0';
    sh_write0(line);
}

#ifdef MNC_PROFILE
static uint64_t layer_started_at;
static uint64_t layer_ticks[MNC_NUM_LAYERS];

void mnc_profile_layer_start(int layer)
{
    (void)layer;
    layer_started_at = ticks_now();
}

void mnc_profile_layer_end(int layer)
{
    layer_ticks[layer] += ticks_now() - layer_started_at;
}

static void print_layers(void)
{
    for (int layer = 0; layer < MNC_NUM_LAYERS; ++layer) {
        print_count("MNC-LAYER ", layer, layer_ticks[layer]);
    }
}
#else
static void print_layers(void)
{
}
#endif

int main(void)
{
    memcpy(mnc_input(), mnc_fw_input, MNC_INPUT_SIZE);
    ticks_start();
    const uint64_t started = ticks_now();
    mnc_run();
    const uint64_t elapsed = ticks_now() - started;
    fw_print_hex_lines("MNC-OUT ", (const uint8_t *)mnc_output(), MNC_OUTPUT_SIZE, sh_write0);
    print_count("MNC-TICKS ", -1, elapsed);
    print_layers();
    print_count("MNC-STACK ", -1, stack_used_bytes());
    print_count("MNC-STACK-SIZE ", -1, (uint64_t)stack_size_bytes());
    sh_write0("MNC-DONE\n");
    return 0;
}
