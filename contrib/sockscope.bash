# SPDX-License-Identifier: GPL-2.0
# bash completion for sockscope(8): commands, each command's options, and the values of the
# options that take one of a set. `make install` puts it where bash-completion looks.
#
# It mirrors the option tables of the code (`sockscope COMMAND --list-options` prints them);
# tests/integration/test_docs.py fails when the two, or the man page, disagree.

# The options of the groups the commands share, as in src/opts_table.c.
_sockscope_filter="-p --pid -c --comm --cgroup -4 --ipv4 -6 --ipv6 --tcp --udp -s --sport
	-d --dport --attach --max-sockets"
_sockscope_interval="-i --interval"
_sockscope_timing="--count --duration"
_sockscope_always="-v --verbose -h --help -V --version"

# The options one command takes.
_sockscope_options()
{
	local filter=$_sockscope_filter interval=$_sockscope_interval timing=$_sockscope_timing
	local always=$_sockscope_always

	case $1 in
	top) echo "-b --by --check-kernel $filter $interval $timing --json --max-conns $always" ;;
	trace)
		echo "--payload --hex --timestamp --buffer-size $filter $timing --json" \
			"--max-conns $always"
		;;
	# conns is about TCP: it refuses --udp, and offers neither
	conns)
		echo "-a --all --sort --events ${filter/--tcp --udp /} $interval $timing --json" \
			"$always"
		;;
	serve)
		echo "--listen --textfile --user --forget-after --max-series --srtt-per-process" \
			"$filter $interval $timing $always"
		;;
	doctor) echo "--json $always" ;;
	esac
}

# The values an option takes, when they are a set; nothing for a free value.
_sockscope_values()
{
	case $1 in
	-b | --by) echo "pid comm" ;;
	--attach) echo "auto tp_btf raw_tp fentry kprobe" ;;
	--timestamp) echo "ns wall" ;;
	--sort)
		echo "pid lport rport age_ms sent_bytes recv_bytes bytes_acked bytes_received" \
			"cwnd ssthresh srtt_us rttvar_us snd_wnd rcv_wnd packets_out" \
			"bytes_in_flight sndbuf sndbuf_used send_queue recv_queue retrans_total" \
			"retrans_fast retrans_timeout retrans_other resets_sent resets_received" \
			"backlog max_backlog comm role state ca_state"
		;;
	esac
}

# Options followed by their value as the next word (--payload takes its value after '=').
_sockscope_takes_value()
{
	case $1 in
	-b | --by | --attach | --timestamp | --sort | -p | --pid | -c | --comm | --cgroup | \
		-s | --sport | -d | --dport | --max-sockets | -i | --interval | --count | \
		--duration | --max-conns | --buffer-size | --listen | --textfile | --user | \
		--forget-after | --max-series)
		return 0
		;;
	esac
	return 1
}

_sockscope()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local commands="top trace conns serve doctor" cmd values

	COMPREPLY=()
	if ((COMP_CWORD == 1)); then
		mapfile -t COMPREPLY < <(compgen -W "$commands --help --version" -- "$cur")
		return
	fi
	# sockscope takes any unambiguous prefix of a command
	cmd=$(compgen -W "$commands" -- "${COMP_WORDS[1]}")
	[[ -n $cmd && $cmd != *[[:space:]]* ]] || return
	case $prev in
	-p | --pid) values=$(ps -e -o pid= 2>/dev/null) ;;
	-c | --comm) values=$(ps -e -o comm= 2>/dev/null) ;;
	--cgroup)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return
		;;
	--textfile)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--user)
		mapfile -t COMPREPLY < <(compgen -u -- "$cur")
		return
		;;
	*) values=$(_sockscope_values "$prev") ;;
	esac
	if [[ -z $values ]] && _sockscope_takes_value "$prev"; then
		return # a number, a size, an address: nothing to offer
	fi
	mapfile -t COMPREPLY < <(compgen -W "${values:-$(_sockscope_options "$cmd")}" -- "$cur")
}

complete -F _sockscope sockscope
