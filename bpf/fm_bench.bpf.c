// SPDX-License-Identifier: Dual BSD/GPL
/*
 * fm_bench.bpf.c — benchmark helpers (not part of the data plane): a traffic
 * generator for BPF_F_TEST_XDP_LIVE_FRAMES that rewrites its frame from a template
 * on every run (pages are recycled after the next hop modified them) and redirects
 * it, a counting sink for the far end, a blind forwarder (the floor of the path's
 * cost), and an empty program that measures the test_run harness itself.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TMPL_LEN 64

__u8 tmpl[TMPL_LEN];
__u32 gen_ifindex;
__u32 fwd_ifindex;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sink_cnt SEC(".maps");

SEC("xdp")
int fm_bench_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (data + TMPL_LEN > end)
		return XDP_ABORTED;
	__builtin_memcpy(data, tmpl, TMPL_LEN);
	return bpf_redirect(gen_ifindex, 0);
}

/* The cost floor of the path: redirect to the next link without looking. */
SEC("xdp")
int fm_bench_fwd(struct xdp_md *ctx)
{
	(void)ctx;
	return bpf_redirect(fwd_ifindex, 0);
}

SEC("xdp")
int fm_bench_sink(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&sink_cnt, &zero);

	(void)ctx;
	if (c)
		*c += 1;
	return XDP_DROP;
}

SEC("xdp")
int fm_bench_nop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}
