/* A hand-written stand-in for a generated package: the fixed model.h API around two tiny layers. */
#ifndef MNC_MODEL_H
#define MNC_MODEL_H

#include <stdint.h>

#define MNC_ARENA_SIZE 96
#define MNC_INPUT_SIZE 48
#define MNC_OUTPUT_SIZE 10
#define MNC_INPUT_SCALE 0.5f
#define MNC_INPUT_ZERO_POINT (-3)
#define MNC_OUTPUT_SCALE 0.25f
#define MNC_OUTPUT_ZERO_POINT 7
#define MNC_NUM_LAYERS 2

int8_t *mnc_input(void);
int8_t *mnc_output(void);
void mnc_run(void);
void mnc_invoke(const int8_t *input, int8_t *output);

extern const char *const mnc_layer_names[MNC_NUM_LAYERS];
extern const uint32_t mnc_layer_macs[MNC_NUM_LAYERS];

#ifdef MNC_PROFILE
void mnc_profile_layer_start(int layer);
void mnc_profile_layer_end(int layer);
#endif

#endif
