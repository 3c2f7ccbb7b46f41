#!/bin/bash
# Regenerates the SIP fixtures in this folder from the public corpus (../../../../../shared/corpus)
# with tshark 4.0. Only captures whose licence allows copying (MIT/BSD/Unlicense: sv_*, zeek_*,
# pcapplusplus_*, ipfixprobe_*) or our own gen_* captures are used.
# Each fixture is the raw transport payload of one frame; expected.tsv holds tshark's view of it.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
C=${CORPUS:-$HERE/../../../../../shared/corpus}
sel=(
  "sv_public-cloudshark-sip-s0.pcap|1,2,3,4,5,6,7,8,9,10|"
  "sv_sip_compact_form.pcap|1|"
  "sv_sip-body-large.pcap|11|"
  "pcapplusplus_sip_reqs.pcap|2,3,4|"
  "ipfixprobe_sip.pcap|1,6,17,18,19|"
  "zeek_invalid-content-length.pcap|1,2|"
  "zeek_sip-junk-before-request.pcap|2|"
  "gen_sipp_ipv6_uac_pcap.pcap|1,2,3,4,497,498|"
  "gen_sipp_uac_pcap_rtp_echo.pcap|1,2,3,4|"
  "gen_sipp_failures_cancel_register.pcap|1,2,3,5,19,20,21,22,23,37,52,65,66,67|-d udp.port==5072,sip"
)
F="frame.number sip.Method sip.Status-Code sip.Call-ID sip.CSeq.seq sip.CSeq.method sip.from.tag sip.to.tag sip.Via.branch sip.Content-Length sip.from.user sip.to.user sdp.connection_info.address sdp.media.port"
args=(); for f in $F; do args+=(-e "$f"); done
printf 'file\t%s\n' "$(echo $F | tr ' ' '\t')" > "$HERE/expected.tsv"
for s in "${sel[@]}"; do
  IFS='|' read -r pcap frames extra <<<"$s"
  filt="frame.number in {$frames}"
  # shellcheck disable=SC2086
  tshark -n -r "$C/pcaps/$pcap" $extra -Y "$filt" -T fields -e frame.number -e udp.payload -e tcp.payload 2>/dev/null |
  while IFS=$'\t' read -r n up tp; do
    name="${pcap%.pcap*}-$n.txt"
    printf '%s' "$up$tp" | xxd -r -p > "$HERE/$name"
  done
  # shellcheck disable=SC2086
  tshark -n -r "$C/pcaps/$pcap" $extra -Y "$filt" -T fields -E occurrence=f "${args[@]}" 2>/dev/null |
  while IFS= read -r line; do
    n=${line%%$'\t'*}
    printf '%s\t%s\n' "${pcap%.pcap*}-$n.txt" "$line" >> "$HERE/expected.tsv"
  done
done
