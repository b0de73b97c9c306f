# bash completion for flowmobctl (installed as
# /usr/share/bash-completion/completions/flowmobctl). Completes options, commands,
# flow subcommands and their options, instance names (-i: the sockets in
# /run/flowmob) and MN NAIs, asked from the running daemon (flowmobctl -j
# bindings on an LMA, mag-bindings on a MAG).

_flowmobctl_mns()
{
	local -a conn=("$@")
	{
		flowmobctl "${conn[@]}" -j -t 2 bindings 2>/dev/null
		flowmobctl "${conn[@]}" -j -t 2 mag-bindings 2>/dev/null
	} | grep -o '"mn": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' | sort -u
}

_flowmobctl()
{
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}
	local cmds="bindings flows stats peers mag-bindings monitor top version flow attach detach raw help"
	local opts="-s --socket -i --instance -j --json -t --timeout -h --help -V --version"
	local -a conn=()
	local i cmd="" cmdi=0

	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-s | --socket | -i | --instance)
			conn+=("${words[i]}" "${words[i + 1]}")
			((i++))
			;;
		-t | --timeout) ((i++)) ;;
		-*) ;;
		*)
			cmd=${words[i]}
			cmdi=$i
			break
			;;
		esac
	done

	case $prev in
	-s | --socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	-i | --instance)
		local socks=(/run/flowmob/*.sock) names=()
		[ -e "${socks[0]}" ] && names=("${socks[@]##*/}") && names=("${names[@]%.sock}")
		COMPREPLY=($(compgen -W "${names[*]}" -- "$cur"))
		return
		;;
	-t | --timeout | --fid | --priority | --bid | --att | --selector | -n | --interval)
		return
		;;
	esac

	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		fi
		return
	fi

	local nargs=$((cword - cmdi))
	case $cmd in
	flow)
		if [ $nargs -eq 1 ]; then
			COMPREPLY=($(compgen -W "add move del" -- "$cur"))
		elif [[ $cur == -* ]]; then
			case ${words[cmdi + 1]} in
			add) COMPREPLY=($(compgen -W "--fid --selector --bid --drop --priority" -- "$cur")) ;;
			move) COMPREPLY=($(compgen -W "--bid --att" -- "$cur")) ;;
			esac
		elif [ $nargs -eq 2 ]; then
			COMPREPLY=($(compgen -W "$(_flowmobctl_mns "${conn[@]}")" -- "$cur"))
		fi
		;;
	attach | detach)
		if [ $nargs -eq 1 ]; then
			COMPREPLY=($(compgen -W "$(_flowmobctl_mns "${conn[@]}")" -- "$cur"))
		fi
		;;
	top)
		COMPREPLY=($(compgen -W "-n --interval --count" -- "$cur"))
		;;
	esac
}
complete -F _flowmobctl flowmobctl
