/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <string.h>

#include "cursor.h"
#include "pcapw.h"

#define PCAPW_MAGIC 0xa1b2c3d4u /* microsecond timestamps */
#define PCAPW_SNAPLEN 65535u

/* The pcap format is in the writer's byte order; we pick little endian. */
static void
pcapw_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static int
pcapw_put(struct pcapw *w, const void *p, size_t n)
{
	errno = 0;
	if (fwrite(p, 1, n, w->f) != n)
		return errno ? -errno : -EIO;
	return 0;
}

int
pcapw_open(struct pcapw *w, const char *path, uint32_t linktype)
{
	uint8_t h[24];
	int r;

	if ((w->f = fopen(path, "wb")) == NULL)
		return -errno;
	pcapw_le32(h, PCAPW_MAGIC);
	h[4] = 2; /* version 2.4 */
	h[5] = 0;
	h[6] = 4;
	h[7] = 0;
	pcapw_le32(h + 8, 0);  /* thiszone */
	pcapw_le32(h + 12, 0); /* sigfigs */
	pcapw_le32(h + 16, PCAPW_SNAPLEN);
	pcapw_le32(h + 20, linktype);
	if ((r = pcapw_put(w, h, sizeof(h))) != 0) {
		fclose(w->f);
		w->f = NULL;
	}
	return r;
}

int
pcapw_write(struct pcapw *w, const struct timespec *ts, const void *pkt,
	    size_t len)
{
	struct timespec now;
	uint8_t h[16];
	int r;

	if (len > PCAPW_SNAPLEN)
		return -EMSGSIZE;
	if (ts == NULL) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts = &now;
	}
	pcapw_le32(h, (uint32_t)ts->tv_sec);
	pcapw_le32(h + 4, (uint32_t)(ts->tv_nsec / 1000));
	pcapw_le32(h + 8, (uint32_t)len);
	pcapw_le32(h + 12, (uint32_t)len);
	if ((r = pcapw_put(w, h, sizeof(h))) != 0)
		return r;
	return pcapw_put(w, pkt, len);
}

int
pcapw_close(struct pcapw *w)
{
	int r = 0;

	if (w->f == NULL)
		return 0;
	if (fflush(w->f) != 0 || ferror(w->f))
		r = -EIO;
	if (fclose(w->f) != 0 && r == 0)
		r = -errno;
	w->f = NULL;
	return r;
}

ssize_t
pcapw_ipv6(uint8_t *buf, size_t cap, const struct in6_addr *src,
	   const struct in6_addr *dst, uint8_t next_header, const void *payload,
	   size_t len)
{
	struct wcur w;

	if (len > 0xffff)
		return -EMSGSIZE;
	wcur_init(&w, buf, cap);
	wcur_u32(&w, 6u << 28); /* version 6, class 0, flow 0 */
	wcur_u16(&w, (uint16_t)len);
	wcur_u8(&w, next_header);
	wcur_u8(&w, 64);
	wcur_bytes(&w, src, 16);
	wcur_bytes(&w, dst, 16);
	wcur_bytes(&w, payload, len);
	return w.err ? w.err : (ssize_t)w.off;
}
