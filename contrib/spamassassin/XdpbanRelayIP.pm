# SPDX-License-Identifier: GPL-2.0
#
# XdpbanRelayIP: adds ",relayip=IP" to spamd's "result:" log line, IP being the last
# external relay (SpamAssassin's _LASTEXTERNALIP_), so that xdpband can ban the host that
# handed a spam to this site without patching spamd or joining spamd and postfix lines.
#
# Install: copy this file and xdpban.pre next to SpamAssassin's other .pre files
# (/etc/spamassassin on Debian), or start spamd with
#   --pre='loadplugin XdpbanRelayIP /path/to/XdpbanRelayIP.pm'
# Set trusted_networks/internal_networks so that your own MXes and relays are not external:
# the last external relay is the one SpamAssassin's trust path ends at.
#
# For SpamAssassin 3.3 to 4.0 (set_spamd_result_item exists since 3.1).

package XdpbanRelayIP;

use strict;
use warnings;

use Mail::SpamAssassin::Plugin;
our @ISA = qw(Mail::SpamAssassin::Plugin);

sub new {
	my ($class, $mailsa) = @_;

	$class = ref($class) || $class;
	my $self = $class->SUPER::new($mailsa);
	bless($self, $class);
	return $self;
}

# The relay's address as an IPv4 or IPv6 literal, else undef. spamd's result items must not
# hold "," or "=", and xdpband trusts this value, so anything unexpected is left out.
sub _relay_ip {
	my ($pms) = @_;
	my $ip = $pms->get_tag('LASTEXTERNALIP');

	return unless defined $ip;
	$ip =~ s/^IPv6://i;
	return $ip if $ip =~ /^(?:[0-9]{1,3}\.){3}[0-9]{1,3}\z/;
	return $ip if length($ip) <= 45 && $ip =~ /^[0-9A-Fa-f:.]+\z/ && $ip =~ /:/;
	return;
}

# check_end runs after the score is final; spamd calls the item's sub when it writes the
# result line, after check() returned. Messages with no external relay get no item.
sub check_end {
	my ($self, $params) = @_;
	my $pms = $params->{permsgstatus};
	my $ip = _relay_ip($pms);

	$pms->set_spamd_result_item(sub { "relayip=$ip" }) if defined $ip;
	return 0;
}

1;
