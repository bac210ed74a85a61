/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librelay's internal helpers shared between its files (not installed). */
#ifndef LIBRELAY_UTIL_H
#define LIBRELAY_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "librelay.h"

/*
 * Bytes a loss span cost: its overwritten sub-buffers whole, its dropped
 * records at @record_bytes each (an estimate: the kernel counts dropped
 * bytes per buffer, not per span).
 */
uint64_t relay_loss_bytes(const struct relay_loss *l, size_t subbuf_size,
			  uint64_t record_bytes);
/* *@worst becomes *@l if @l lost more bytes (relay_loss_bytes()). */
void relay_loss_keep_worst(struct relay_loss *worst,
			   const struct relay_loss *l, size_t subbuf_size,
			   uint64_t record_bytes);

#endif /* LIBRELAY_UTIL_H */
