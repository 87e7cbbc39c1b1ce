# SPDX-License-Identifier: GPL-2.0
# bash completion for banctl(8): commands, their options, interfaces, and banned prefixes.
# shellcheck shell=bash

_banctl_bans()
{
	local pin=$1
	shift
	"${COMP_WORDS[0]}" ${pin:+--pin-dir "$pin"} -j "$@" 2>/dev/null |
		grep -o '"prefix":"[^"]*"' | cut -d'"' -f4
}

_banctl()
{
	local cur prev words cword pin="" cmd="" i
	_init_completion || return

	local commands="load unload status add del list allow stats log log-limit test-source save restore report help"
	local globals="--pin-dir --state-dir --json --pretty --verbose --debug --version --help"

	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--pin-dir) pin=${words[i + 1]}; ((i++)) ;;
		--state-dir) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	case $prev in
	--pin-dir | --state-dir | -c | --config)
		_filedir -d
		return
		;;
	--mode)
		mapfile -t COMPREPLY < <(compgen -W "auto native generic" -- "$cur")
		return
		;;
	--sort)
		mapfile -t COMPREPLY < <(compgen -W "hits expiry added prefix" -- "$cur")
		return
		;;
	--timeout | --reason | --log-limit | --log-burst | --burst | -n | --max-*)
		return
		;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$globals" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
		fi
		return
	fi

	case $cmd in
	load)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--mode --max-ban-v4 --max-ban-v6 --max-pfx-v4 --max-pfx-v6 --max-allow --log-limit --log-burst" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")
		fi
		;;
	unload)
		mapfile -t COMPREPLY < <(compgen -W "--all $(ls /sys/class/net 2>/dev/null)" -- "$cur")
		;;
	add)
		mapfile -t COMPREPLY < <(compgen -W "--timeout --reason --force -" -- "$cur")
		;;
	del)
		mapfile -t COMPREPLY < <(compgen -W "- $(_banctl_bans "$pin" list)" -- "$cur")
		;;
	list)
		mapfile -t COMPREPLY < <(compgen -W "--sort" -- "$cur")
		;;
	stats)
		mapfile -t COMPREPLY < <(compgen -W "--prometheus" -- "$cur")
		;;
	allow)
		if [[ $prev == allow ]]; then
			mapfile -t COMPREPLY < <(compgen -W "add del list" -- "$cur")
		elif [[ $prev == del || ${words[cword - 2]} == del ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$(_banctl_bans "$pin" allow list)" -- "$cur")
		fi
		;;
	log)
		mapfile -t COMPREPLY < <(compgen -W "-f -n -c" -- "$cur")
		;;
	save | restore)
		_filedir
		;;
	esac
}

complete -F _banctl banctl
