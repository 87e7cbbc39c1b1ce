# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Bans and allows as the wire sees them: pings from A to B pass or die at B's XDP hook, and
# the counters and `banctl -j list` agree with what ping saw.

# An exact IPv4 ban drops the sender; lifting it lets the pings through again.
test_ping_v4()
{
	local before after

	ping_ok v4
	before=$(stat_total dropped_v4_packets) || exit 1
	check_run banctl_b add "$ADDR_A4"
	assert_eq "$(ban_field "$ADDR_A4/32" kind)" exact "kind of the ban on $ADDR_A4"
	assert_eq "$(ban_field "$ADDR_A4/32" permanent)" true "ban without --timeout is permanent"

	ping_dropped v4
	after=$(stat_total dropped_v4_packets) || exit 1
	assert_gt "$after" "$before" "stats total.dropped_v4_packets after a banned ping"
	assert_gt "$(stat_iface "$IF_B" dropped_v4_packets)" 0 "stats $IF_B dropped_v4_packets"
	assert_gt "$(stat_total dropped_exact)" 0 "stats total.dropped_exact"
	assert_gt "$(ban_field "$ADDR_A4/32" packets)" 0 "list packets of the ban on $ADDR_A4"
	assert_gt "$(ban_field "$ADDR_A4/32" bytes)" 0 "list bytes of the ban on $ADDR_A4"
	# IPv6 from the same host is a different address and must still pass.
	ping_ok v6

	check_run banctl_b del "$ADDR_A4"
	assert_eq "$(ban_field "$ADDR_A4/32" kind)" "<missing>" "ban on $ADDR_A4 after del"
	ping_ok v4
}

# IPv6: an exact /128 ban, then a /64 prefix ban over the sender.
test_ping_v6()
{
	local before after

	ping_ok v6
	before=$(stat_total dropped_v6_packets) || exit 1
	check_run banctl_b add "$ADDR_A6"
	assert_eq "$(ban_field "$ADDR_A6/128" kind)" exact "kind of the ban on $ADDR_A6"
	assert_eq "$(ban_field "$ADDR_A6/128" family)" 6 "family of the ban on $ADDR_A6"
	ping_dropped v6
	after=$(stat_total dropped_v6_packets) || exit 1
	assert_gt "$after" "$before" "stats total.dropped_v6_packets after a banned ping"
	assert_gt "$(ban_field "$ADDR_A6/128" packets)" 0 "list packets of the ban on $ADDR_A6"
	ping_ok v4
	check_run banctl_b del "$ADDR_A6"
	ping_ok v6

	before=$(stat_total dropped_prefix) || exit 1
	check_run banctl_b add --force fd11::/64
	assert_eq "$(ban_field fd11::/64 kind)" prefix "kind of the ban on fd11::/64"
	ping_dropped v6
	after=$(stat_total dropped_prefix) || exit 1
	assert_gt "$after" "$before" "stats total.dropped_prefix after a ping from inside fd11::/64"
	assert_gt "$(stat_total dropped_v6_packets)" 0 "stats total.dropped_v6_packets"
	assert_gt "$(ban_field fd11::/64 packets)" 0 "list packets of the ban on fd11::/64"
	check_run banctl_b del fd11::/64
	ping_ok v6
}

# A /24 ban drops the sender, an allow entry for it wins over the ban, removing it restores
# the ban.
test_prefix_v4()
{
	local before after

	check_run banctl_b add --force 10.11.1.0/24
	assert_eq "$(ban_field 10.11.1.0/24 kind)" prefix "kind of the ban on 10.11.1.0/24"
	ping_dropped v4
	assert_gt "$(stat_total dropped_prefix)" 0 "stats total.dropped_prefix"
	assert_gt "$(ban_field 10.11.1.0/24 packets)" 0 "list packets of the ban on 10.11.1.0/24"

	before=$(stat_total allowed_v4_packets) || exit 1
	check_run banctl_b allow add "$ADDR_A4/32"
	assert_eq "$(allow_field "$ADDR_A4/32" family)" 4 "allow list entry for $ADDR_A4/32"
	ping_ok v4
	after=$(stat_total allowed_v4_packets) || exit 1
	assert_gt "$after" "$before" "stats total.allowed_v4_packets while allowed"
	assert_gt "$(allow_field "$ADDR_A4/32" packets)" 0 "allow list packets of $ADDR_A4/32"

	check_run banctl_b allow del "$ADDR_A4/32"
	assert_eq "$(allow_field "$ADDR_A4/32" family)" "<missing>" "allow entry after allow del"
	before=$(stat_total dropped_v4_packets) || exit 1
	ping_dropped v4
	after=$(stat_total dropped_v4_packets) || exit 1
	assert_gt "$after" "$before" "stats total.dropped_v4_packets after allow del"
}

# A ban with --timeout 2 drops, then stops dropping once expired, although nothing removed it:
# the kernel checks the expiry and counts the hit.
test_timeout()
{
	local t0 remaining expired_before expired_after

	t0=$SECONDS
	check_run banctl_b add "$ADDR_A4" --timeout 2
	assert_eq "$(ban_field "$ADDR_A4/32" permanent)" false "permanent of a ban with --timeout"
	assert_eq "$(ban_field "$ADDR_A4/32" expired)" false "expired right after adding"
	remaining=$(ban_field "$ADDR_A4/32" remaining) || exit 1
	assert_le "$remaining" 2 "remaining seconds of a 2 s ban"
	assert_ge "$remaining" 0 "remaining seconds of a 2 s ban"
	[[ $(ban_field "$ADDR_A4/32" expires) =~ ^[0-9]+$ ]] ||
		fail "expires of a timed ban is not unix seconds: '$(ban_field "$ADDR_A4/32" expires)'"
	ping_dropped v4
	expired_before=$(stat_total expired_hits) || exit 1

	while ((SECONDS - t0 < 4)); do
		sleep 0.5
	done
	ping_ok v4
	expired_after=$(stat_total expired_hits) || exit 1
	assert_gt "$expired_after" "$expired_before" "stats total.expired_hits after pinging past expiry"
	assert_eq "$(ban_field "$ADDR_A4/32" expired)" true "expired flag in list after expiry"
}

ALL_TESTS+=(test_ping_v4 test_ping_v6 test_prefix_v4 test_timeout)
