/*
 * Restarts over time, for a Ready store's health (reconcile_health.c): each
 * check notes the total restart count of the store's containers
 * (sp_ready_restarts); the restarts within the window are the increases
 * between the notes kept. A decrease (a pod replaced, its counts starting
 * again at 0) adds nothing. The count is as fine as the checks are
 * frequent: restarts between the last note before the window and the first
 * one in it are counted as if inside. Pure: no clock, no lock (the caller
 * holds one).
 */
#ifndef SP_HEALTH_H
#define SP_HEALTH_H

#include <stdint.h>

#define SP_HEALTH_NOTES 32

struct sp_health_hist {
    int n;
    int64_t ms[SP_HEALTH_NOTES];
    int64_t total[SP_HEALTH_NOTES];
};

/* Notes total at now_ms, forgetting notes older than window_ms (one before stays as the base). */
void sp_health_note(struct sp_health_hist *h, int64_t now_ms, int64_t total, int64_t window_ms);

/* Restarts within the window: the sum of the increases between consecutive notes. */
int64_t sp_health_restarts(const struct sp_health_hist *h);

/* A time span in words: "45 s", "3 minutes", "2 hours" (out must hold 32 bytes). */
void sp_health_span(int64_t ms, char *out, unsigned long n);

#endif
