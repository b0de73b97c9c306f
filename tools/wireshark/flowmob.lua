-- SPDX-License-Identifier: GPL-2.0
--
-- flowmob.lua: Wireshark/tshark (4.0+) dissector for the PMIPv6 flow-mobility
-- messages and options that the built-in "mip6" dissector does not decode:
--
--   * FMI / FMA (draft-ietf-netext-pmipv6-flowmob, seed section 4): one Mobility
--     Header type (no IANA number; preference "fm_type", default 11), told apart
--     by the I flag (1 = FMI, 0 = FMA);
--   * UPN (MH type 19) and UPA (MH type 20), RFC 7077;
--   * Flow Summary (option 44) and Flow Identification (option 45), RFC 6089,
--     with the BID Reference and Traffic Selector sub-options; the selector in
--     both RFC 6088 binary formats (1 = IPv4, 2 = IPv6);
--   * the Mobility Message Authentication option (option 9, RFC 4285 section 5):
--     Subtype (1 = MN-HA), Mobility SPI, Authentication Data (flowmob: 32 octets
--     of HMAC-SHA-256), flagged when another option follows it.
--
-- Written from the specifications (layouts in docs/wireshark.md), not from
-- flowmob's encoder. It replaces the ip.proto 135 entry with a wrapper that
-- claims only the MH types above and hands every other message to the original
-- mip6 dissector; options 44 and 45 are also registered in mip6's "mip6.option"
-- table, so PBU/PBA carrying them decode too. Field names: docs/wireshark.md.
--
--   tshark -X lua_script:tools/wireshark/flowmob.lua -r capture.pcapng -V
--   tshark -X lua_script:tools/wireshark/flowmob.lua -o flowmob.fm_type:200 ...

local MH_UPN = 19
local MH_UPA = 20
local OPT_FLOW_SUMMARY = 44
local OPT_FLOW_ID = 45
local OPT_AUTH = 9
local SUB_PAD1, SUB_PADN, SUB_BIDREF, SUB_TS = 0, 1, 2, 3
local TS_FMT_IPV4, TS_FMT_IPV6 = 1, 2
-- RFC 6088 section 3.2 (Figure 2): each flow label field is 32 bits, the 20-bit
-- label right-aligned (the upper 12 bits are not part of it).
local FLOW_LABEL_OCTETS = 4

local band = bit32.band

local p = Proto("flowmob", "PMIPv6 Flow Mobility (flowmob)")
p.prefs.fm_type = Pref.uint("FMI/FMA MH type", 11,
	"Mobility Header type used for FMI/FMA (no IANA number; flowmob's default is 11)")

local vs_fma_status = {
	[0] = "Success", [128] = "Reason unspecified", [129] = "MN not attached",
	[130] = "Sequence number out of window", [131] = "Traffic Selector format unsupported",
	[132] = "No existing Flow Mobility Cache entry", [133] = "Already existing Flow Mobility Cache entry",
}
-- IANA "Update Notification Reasons" and "... Acknowledgement Status" registries
local vs_upn_reason = {
	[1] = "FORCE-REREGISTRATION", [2] = "UPDATE-SESSION-PARAMETERS", [3] = "VENDOR-SPECIFIC-REASON",
	[4] = "ANI-PARAMS-REQUESTED", [5] = "QOS_SERVICE_REQUEST", [6] = "PGW-TRIGGERED-PCSCF-RESTORATION-PCO",
	[7] = "PGW-TRIGGERED-PCSCF-RESTORATION-DHCP", [8] = "FLOW-MOBILITY",
}
local vs_upa_status = {
	[0] = "Success", [128] = "Failed to update session parameters", [129] = "Missing vendor specific option",
	[130] = "Cannot meet QoS service request", [131] = "Reason unspecified", [132] = "MN not attached",
}
local vs_fid_status = {
	[0] = "Flow binding successful", [128] = "Administratively prohibited",
	[129] = "Flow binding rejected, reason unspecified", [130] = "Flow identification mobility option malformed",
	[131] = "BID not found", [132] = "FID not found", [133] = "Traffic selector format not supported",
}
local vs_subopt = {
	[SUB_PAD1] = "Pad1", [SUB_PADN] = "PadN", [SUB_BIDREF] = "BID Reference",
	[SUB_TS] = "Traffic Selector", [4] = "Flow Binding Action", [5] = "Target Care-of Address",
}
local vs_ts_format = { [TS_FMT_IPV4] = "IPv4 binary", [TS_FMT_IPV6] = "IPv6 binary" }
local vs_auth_subtype = { [1] = "MN-HA", [2] = "MN-AAA" }
local vs_opt = {
	[0] = "Pad1", [1] = "PadN", [8] = "Mobile Node Identifier", [OPT_AUTH] = "Authentication",
	[OPT_FLOW_SUMMARY] = "Flow Summary", [OPT_FLOW_ID] = "Flow Identification",
}

local f = {}
local function field(key, ctor, ...)
	f[key] = ctor("flowmob." .. key, ...)
end

field("msg", ProtoField.string, "Message")
field("mh.proto", ProtoField.uint8, "Payload protocol", base.DEC)
field("mh.hlen", ProtoField.uint8, "Header length (8-octet units, excluding the first 8)", base.DEC)
field("mh.type", ProtoField.uint8, "Mobility Header type", base.DEC)
field("mh.reserved", ProtoField.uint8, "Reserved", base.HEX)
field("mh.checksum", ProtoField.uint16, "Checksum", base.HEX)
field("mh.checksum.status", ProtoField.string, "Checksum status")

field("fmi.seq", ProtoField.uint16, "Sequence number", base.DEC)
field("fmi.flags", ProtoField.uint16, "Flags", base.HEX)
field("fmi.i", ProtoField.bool, "Initiate (I)", 16, nil, 0x8000)
field("fmi.c", ProtoField.bool, "Cancel (C)", 16, nil, 0x4000)
field("fmi.r", ProtoField.bool, "Refresh (R)", 16, nil, 0x2000)
field("fmi.reserved", ProtoField.uint16, "Reserved", base.HEX, nil, 0x1fff)
field("fmi.lifetime", ProtoField.uint16, "Lifetime (seconds, 65535 = infinity)", base.DEC)

field("fma.seq", ProtoField.uint16, "Sequence number", base.DEC)
field("fma.i", ProtoField.bool, "Initiate (I)", 8, nil, 0x80)
field("fma.reserved", ProtoField.uint8, "Reserved", base.HEX, nil, 0x7f)
field("fma.status", ProtoField.uint8, "Status", base.DEC, vs_fma_status)
field("fma.lifetime", ProtoField.uint16, "Lifetime (seconds, 65535 = infinity)", base.DEC)

-- RFC 7077 section 4.1 (Figure 3): Sequence #(16) | Notification Reason(16) |
-- A D + 14 reserved bits | options at 12
field("upn.seq", ProtoField.uint16, "Sequence number", base.DEC)
field("upn.reason", ProtoField.uint16, "Notification Reason", base.DEC, vs_upn_reason)
field("upn.flags", ProtoField.uint16, "Flags", base.HEX)
field("upn.a", ProtoField.bool, "Acknowledgement requested (A)", 16, nil, 0x8000)
field("upn.d", ProtoField.bool, "Retransmission (D)", 16, nil, 0x4000)
field("upn.reserved", ProtoField.uint16, "Reserved", base.HEX, nil, 0x3fff)

-- RFC 7077 section 4.2 (Figure 4): Sequence #(16) | Status(8) | Reserved(24) | options at 12
field("upa.seq", ProtoField.uint16, "Sequence number", base.DEC)
field("upa.status", ProtoField.uint8, "Status", base.DEC, vs_upa_status)
field("upa.reserved", ProtoField.uint24, "Reserved", base.HEX)

field("opt.type", ProtoField.uint8, "Option type", base.DEC, vs_opt)
field("opt.len", ProtoField.uint8, "Option length", base.DEC)
field("opt.data", ProtoField.bytes, "Option data")
field("pad", ProtoField.bytes, "Padding")
field("option", ProtoField.none, "Mobility option")
field("subopt", ProtoField.none, "Flow Identification sub-option")

field("fsum.fid", ProtoField.uint16, "FID", base.DEC)

field("fid.fid", ProtoField.uint16, "FID", base.DEC)
field("fid.pri", ProtoField.uint16, "FID-PRI", base.DEC)
field("fid.reserved", ProtoField.uint8, "Reserved", base.HEX)
field("fid.status", ProtoField.uint8, "Status", base.DEC, vs_fid_status)
-- RFC 4285 section 5: Type 9 | Length | Subtype | Mobility SPI(32) | Authentication Data
field("auth.subtype", ProtoField.uint8, "Subtype", base.DEC, vs_auth_subtype)
field("auth.spi", ProtoField.uint32, "Mobility SPI", base.DEC)
field("auth.data", ProtoField.bytes, "Authentication Data")
field("fid.subopt.type", ProtoField.uint8, "Sub-option type", base.DEC, vs_subopt)
field("fid.subopt.len", ProtoField.uint8, "Sub-option length", base.DEC)
field("fid.subopt.data", ProtoField.bytes, "Sub-option data")

field("bidref.bid", ProtoField.uint16, "BID", base.DEC)

field("ts.format", ProtoField.uint8, "TS Format", base.DEC, vs_ts_format)
field("ts.reserved", ProtoField.uint8, "Reserved", base.HEX)
field("ts.selector", ProtoField.string, "Selector")

-- IPv6 binary selector (RFC 6088): 16 flags A..P, 16 reserved bits, then the
-- fields whose flag is set, in flag order.
local TS6 = {
	{ "a", "src_addr", "start", 16 }, { "b", "src_addr", "end", 16 },
	{ "c", "dst_addr", "start", 16 }, { "d", "dst_addr", "end", 16 },
	{ "e", "spi", "start", 4 }, { "f", "spi", "end", 4 },
	{ "g", "flow_label", "start", FLOW_LABEL_OCTETS }, { "h", "flow_label", "end", FLOW_LABEL_OCTETS },
	{ "i", "src_port", "start", 2 }, { "j", "src_port", "end", 2 },
	{ "k", "dst_port", "start", 2 }, { "l", "dst_port", "end", 2 },
	{ "m", "tc", "start", 1 }, { "n", "tc", "end", 1 },
	{ "o", "next_header", "start", 1 }, { "p", "next_header", "end", 1 },
}
-- IPv4 binary selector: 14 flags A..N, 18 reserved bits.
local TS4 = {
	{ "a", "src_addr", "start", 4 }, { "b", "src_addr", "end", 4 },
	{ "c", "dst_addr", "start", 4 }, { "d", "dst_addr", "end", 4 },
	{ "e", "spi", "start", 4 }, { "f", "spi", "end", 4 },
	{ "g", "src_port", "start", 2 }, { "h", "src_port", "end", 2 },
	{ "i", "dst_port", "start", 2 }, { "j", "dst_port", "end", 2 },
	{ "k", "tos", "start", 1 }, { "l", "tos", "end", 1 },
	{ "m", "protocol", "start", 1 }, { "n", "protocol", "end", 1 },
}
local LABEL = {
	src_addr = "Source Address", dst_addr = "Destination Address", spi = "IPsec SPI",
	flow_label = "Flow Label", src_port = "Source Port", dst_port = "Destination Port",
	tc = "Traffic Class", next_header = "Next Header", tos = "TOS/DS", protocol = "Protocol",
}

field("ts6.flags", ProtoField.uint16, "Flags", base.HEX)
field("ts6.reserved", ProtoField.uint16, "Reserved", base.HEX)
field("ts4.flags", ProtoField.uint32, "Flags", base.HEX)
field("ts4.reserved", ProtoField.uint32, "Reserved", base.HEX, nil, 0x3ffff)

local function ts_fields(prefix, list, flagbits)
	for i, e in ipairs(list) do
		local letter, name, which, size = e[1], e[2], e[3], e[4]
		local mask = 2 ^ (flagbits - i)
		local label = string.format("(%s) %s %s", letter:upper(), which == "start" and "Start" or "End", LABEL[name])
		field(prefix .. ".flag." .. letter, ProtoField.bool, label .. " present", flagbits, nil, mask)
		local key = prefix .. "." .. name .. "." .. which
		if name:find("addr") then
			field(key, size == 16 and ProtoField.ipv6 or ProtoField.ipv4, label)
		elseif name == "flow_label" then
			-- flow label: 20-bit value right-aligned in the 32-bit field
			field(key, ProtoField.uint32, label, base.DEC, nil, 0x000fffff)
		elseif size == 4 then
			field(key, ProtoField.uint32, label, base.DEC)
		elseif size == 2 then
			field(key, ProtoField.uint16, label, base.DEC)
		else
			field(key, ProtoField.uint8, label, base.DEC)
		end
	end
end
ts_fields("ts6", TS6, 16)
ts_fields("ts4", TS4, 32)

local fields = {}
for _, v in pairs(f) do fields[#fields + 1] = v end
p.fields = fields

local ef = {
	truncated = ProtoExpert.new("flowmob.truncated", "Truncated or malformed", expert.group.MALFORMED, expert.severity.ERROR),
	badlen = ProtoExpert.new("flowmob.bad_length", "Length inconsistent with the specification", expert.group.MALFORMED, expert.severity.WARN),
	checksum = ProtoExpert.new("flowmob.bad_checksum", "Bad Mobility Header checksum", expert.group.CHECKSUM, expert.severity.ERROR),
	end_only = ProtoExpert.new("flowmob.ts.end_without_start", "End value without its start value", expert.group.PROTOCOL, expert.severity.WARN),
	ts_format = ProtoExpert.new("flowmob.ts.unknown_format", "Unknown traffic selector format", expert.group.UNDECODED, expert.severity.NOTE),
	malformed = ProtoExpert.new("flowmob.malformed", "Malformed Mobility Header message", expert.group.MALFORMED, expert.severity.ERROR),
}
p.experts = { ef.truncated, ef.badlen, ef.checksum, ef.end_only, ef.ts_format, ef.malformed }

local f_ipv6_src = Field.new("ipv6.src")
local f_ipv6_dst = Field.new("ipv6.dst")
local f_ipv6_routing = Field.new("ipv6.routing")

local function item(tree, key, range, text)
	local it = tree:add(f[key], range)
	it:set_text(text)
	return it
end

local mip6_handle = DissectorTable.get("ip.proto"):get_dissector(135)
local mip6_opts = DissectorTable.get("mip6.option")

-- ---------------------------------------------------------------------------
-- Traffic selectors

local function fmt_value(name, r)
	if name:find("addr") then
		return r:len() == 16 and tostring(r:ipv6()) or tostring(r:ipv4())
	end
	if name == "flow_label" then
		return tostring(r:uint() % 0x100000)
	end
	return tostring(r:uint())
end

local function dissect_selector(tvb, off, stop, tree, pinfo, list, flagbits, prefix)
	local flagsize = 4 -- 16 flags + 16 reserved (IPv6) or 14 flags + 18 reserved (IPv4)
	if off + flagsize > stop then
		tree:add_proto_expert_info(ef.truncated, "selector flags truncated")
		return
	end
	local flags
	if flagbits == 16 then
		local ft = tree:add(f["ts6.flags"], tvb(off, 2))
		flags = tvb(off, 2):uint()
		for _, e in ipairs(list) do
			ft:add(f[prefix .. ".flag." .. e[1]], tvb(off, 2))
		end
		tree:add(f["ts6.reserved"], tvb(off + 2, 2))
	else
		local ft = tree:add(f["ts4.flags"], tvb(off, 4))
		flags = tvb(off, 4):uint()
		for _, e in ipairs(list) do
			ft:add(f[prefix .. ".flag." .. e[1]], tvb(off, 4))
		end
		ft:add(f["ts4.reserved"], tvb(off, 4))
	end
	off = off + flagsize
	local vals, order = {}, {}
	for i, e in ipairs(list) do
		local name, which, size = e[2], e[3], e[4]
		local mask = 2 ^ (flagbits - i)
		if band(flags, mask) ~= 0 then
			if off + size > stop then
				tree:add_proto_expert_info(ef.truncated, string.format("selector field (%s) truncated", e[1]:upper()))
				return
			end
			local r = tvb(off, size)
			tree:add(f[prefix .. "." .. name .. "." .. which], r)
			if not vals[name] then
				vals[name] = {}
				order[#order + 1] = name
			end
			vals[name][which] = fmt_value(name, r)
			off = off + size
		end
	end
	if off < stop then
		tree:add_proto_expert_info(ef.badlen, string.format("%d octets after the selector fields", stop - off))
	end
	-- summary in flowmob's JSON vocabulary: [v] exact, [start,end] range
	local parts = {}
	for _, name in ipairs(order) do
		local v = vals[name]
		local q = name:find("addr") and '"' or ""
		if v.start and v["end"] then
			parts[#parts + 1] = string.format('"%s":[%s%s%s,%s%s%s]', name, q, v.start, q, q, v["end"], q)
		elseif v.start then
			parts[#parts + 1] = string.format('"%s":[%s%s%s]', name, q, v.start, q)
		else
			tree:add_proto_expert_info(ef.end_only, LABEL[name])
			parts[#parts + 1] = string.format('"%s":[null,%s%s%s]', name, q, v["end"], q)
		end
	end
	local sel = "{" .. table.concat(parts, ",") .. "}"
	tree:add(f["ts.selector"], sel):set_generated()
	return sel
end

-- ---------------------------------------------------------------------------
-- Flow Identification sub-options and the two options

local function dissect_fid_subopts(tvb, off, stop, tree, pinfo)
	while off < stop do
		local t = tvb(off, 1):uint()
		if t == SUB_PAD1 then
			local st = item(tree, "subopt", tvb(off, 1), "Pad1")
			st:add(f["fid.subopt.type"], tvb(off, 1))
			off = off + 1
		else
			if off + 2 > stop then
				tree:add_proto_expert_info(ef.truncated, "sub-option header truncated")
				return
			end
			local len = tvb(off + 1, 1):uint()
			if off + 2 + len > stop then
				local st = item(tree, "subopt", tvb(off, stop - off), "Sub-option (truncated)")
				st:add(f["fid.subopt.type"], tvb(off, 1))
				st:add(f["fid.subopt.len"], tvb(off + 1, 1))
				st:add_proto_expert_info(ef.truncated, "sub-option runs past the option")
				return
			end
			local st = item(tree, "subopt", tvb(off, 2 + len), (vs_subopt[t] or "Unknown") .. " sub-option")
			st:add(f["fid.subopt.type"], tvb(off, 1))
			st:add(f["fid.subopt.len"], tvb(off + 1, 1))
			local d = off + 2
			if t == SUB_BIDREF then
				if len == 0 or len % 2 ~= 0 then
					st:add_proto_expert_info(ef.badlen, "BID Reference length must be a non-zero multiple of 2")
				end
				local bids = {}
				for o = d, d + len - 2, 2 do
					st:add(f["bidref.bid"], tvb(o, 2))
					bids[#bids + 1] = tostring(tvb(o, 2):uint())
				end
				st:append_text(": BID " .. table.concat(bids, ", "))
			elseif t == SUB_TS then
				if len < 2 then
					st:add_proto_expert_info(ef.truncated, "Traffic Selector shorter than its format header")
				else
					local fmt = tvb(d, 1):uint()
					st:add(f["ts.format"], tvb(d, 1))
					st:add(f["ts.reserved"], tvb(d + 1, 1))
					local sel
					if fmt == TS_FMT_IPV6 then
						sel = dissect_selector(tvb, d + 2, d + len, st, pinfo, TS6, 16, "ts6")
					elseif fmt == TS_FMT_IPV4 then
						sel = dissect_selector(tvb, d + 2, d + len, st, pinfo, TS4, 32, "ts4")
					else
						st:add_proto_expert_info(ef.ts_format, "TS format " .. fmt)
						if len > 2 then st:add(f["fid.subopt.data"], tvb(d + 2, len - 2)) end
					end
					if sel then st:append_text(" " .. sel) end
				end
			elseif len > 0 then
				st:add(f["fid.subopt.data"], tvb(d, len))
			end
			off = d + len
		end
	end
end

local function dissect_flow_summary(tvb, pinfo, tree)
	local len = tvb(1, 1):uint()
	local ot = item(tree, "option", tvb(0, 2 + len), "Flow Summary")
	ot:add(f["opt.type"], tvb(0, 1))
	ot:add(f["opt.len"], tvb(1, 1))
	if len == 0 or len % 2 ~= 0 then
		ot:add_proto_expert_info(ef.badlen, "Flow Summary length must be a non-zero multiple of 2")
	end
	local fids = {}
	for o = 2, len, 2 do
		ot:add(f["fsum.fid"], tvb(o, 2))
		fids[#fids + 1] = tostring(tvb(o, 2):uint())
	end
	ot:append_text(": FID " .. table.concat(fids, ", "))
end

local function dissect_flow_id(tvb, pinfo, tree)
	local len = tvb(1, 1):uint()
	local ot = item(tree, "option", tvb(0, 2 + len), "Flow Identification")
	ot:add(f["opt.type"], tvb(0, 1))
	ot:add(f["opt.len"], tvb(1, 1))
	if len < 6 then
		ot:add_proto_expert_info(ef.truncated, "Flow Identification shorter than 6 octets")
		return
	end
	ot:add(f["fid.fid"], tvb(2, 2))
	ot:add(f["fid.pri"], tvb(4, 2))
	ot:add(f["fid.reserved"], tvb(6, 1))
	ot:add(f["fid.status"], tvb(7, 1))
	ot:append_text(string.format(": FID %d, FID-PRI %d, status %d", tvb(2, 2):uint(), tvb(4, 2):uint(), tvb(7, 1):uint()))
	dissect_fid_subopts(tvb, 8, 2 + len, ot, pinfo)
end

local function dissect_auth(tvb, pinfo, tree)
	local len = tvb(1, 1):uint()
	local ot = item(tree, "option", tvb(0, 2 + len), "Authentication")
	ot:add(f["opt.type"], tvb(0, 1))
	ot:add(f["opt.len"], tvb(1, 1))
	if len < 5 then
		ot:add_proto_expert_info(ef.badlen, "Authentication option shorter than Subtype and SPI")
		return
	end
	ot:add(f["auth.subtype"], tvb(2, 1))
	ot:add(f["auth.spi"], tvb(3, 4))
	if len > 5 then ot:add(f["auth.data"], tvb(7, len - 5)) end
	ot:append_text(string.format(": %s, SPI %d, %d octets of data",
		vs_auth_subtype[tvb(2, 1):uint()] or ("subtype " .. tvb(2, 1):uint()), tvb(3, 4):uint(), len - 5))
end

-- option tvb: Type, Length, data (what mip6 hands to "mip6.option" entries)
local function option_entry(fn)
	return function(tvb, pinfo, tree)
		if tvb:len() < 2 or tvb:len() < 2 + tvb(1, 1):uint() then
			tree:add_proto_expert_info(ef.truncated, "option truncated")
			return tvb:len()
		end
		fn(tvb, pinfo, tree)
		return 2 + tvb(1, 1):uint()
	end
end
local opt_flow_summary = Proto("flowmob.flow_summary", "Flow Summary (RFC 6089)")
opt_flow_summary.dissector = option_entry(dissect_flow_summary)
local opt_auth = Proto("flowmob.auth", "Mobility Message Authentication (RFC 4285)")
opt_auth.dissector = option_entry(dissect_auth)
local opt_flow_id = Proto("flowmob.flow_id", "Flow Identification (RFC 6089)")
opt_flow_id.dissector = option_entry(dissect_flow_id)

-- ---------------------------------------------------------------------------
-- Mobility options of our own messages

local function dissect_options(tvb, off, stop, tree, pinfo)
	local after_auth = false
	while off < stop do
		local t = tvb(off, 1):uint()
		if t == 0 then
			tree:add(f["pad"], tvb(off, 1)):set_text("Pad1")
			off = off + 1
		else
			if off + 2 > stop then
				tree:add_proto_expert_info(ef.truncated, "option header truncated")
				return
			end
			local len = tvb(off + 1, 1):uint()
			if off + 2 + len > stop then
				local ot = item(tree, "option", tvb(off, stop - off), "Option (truncated)")
				ot:add(f["opt.type"], tvb(off, 1))
				ot:add(f["opt.len"], tvb(off + 1, 1))
				ot:add_proto_expert_info(ef.truncated, "option runs past the message")
				return
			end
			local otvb = tvb(off, 2 + len):tvb()
			if after_auth and t ~= 1 then
				tree:add_proto_expert_info(ef.malformed,
					"an option after the Authentication option (RFC 4285: it is the last)")
			end
			if t == OPT_AUTH then
				after_auth = true
				dissect_auth(otvb, pinfo, tree)
			elseif t == OPT_FLOW_SUMMARY then
				dissect_flow_summary(otvb, pinfo, tree)
			elseif t == OPT_FLOW_ID then
				dissect_flow_id(otvb, pinfo, tree)
			elseif t == 1 then
				local ot = tree:add(f["pad"], tvb(off, 2 + len))
				ot:set_text(string.format("PadN (%d octets)", len + 2))
			elseif mip6_opts:get_dissector(t) then
				-- a standard option: the built-in mip6 option dissector decodes it; a
				-- malformed one becomes expert info, never a Lua error
				local ot = item(tree, "option", tvb(off, 2 + len), (vs_opt[t] or ("Option " .. t)))
				local ok = pcall(function() mip6_opts:try(t, otvb, pinfo, ot) end)
				if not ok then
					ot:add_proto_expert_info(ef.malformed, string.format(
						"option %d malformed (the built-in mip6 option dissector failed)", t))
				end
			else
				local ot = item(tree, "option", tvb(off, 2 + len), "Unknown option " .. t)
				ot:add(f["opt.type"], tvb(off, 1))
				ot:add(f["opt.len"], tvb(off + 1, 1))
				if len > 0 then ot:add(f["opt.data"], tvb(off + 2, len)) end
			end
			off = off + 2 + len
		end
	end
end

-- ---------------------------------------------------------------------------
-- Mobility Header

local function last_value(extractor)
	local all = { extractor() }
	local fi = all[#all]
	return fi and fi.range and fi.range:bytes() or nil
end

-- RFC 6275 section 6.1.1: one's complement sum over the pseudo-header (source,
-- destination, 32-bit upper-layer length, 3 zero octets, next header 135) and
-- the MH with the checksum field taken as zero.
local function mh_checksum(tvb, mhlen)
	-- with a routing header the pseudo-header's destination is the final one,
	-- which the IPv6 header does not show: leave such packets unverified
	if f_ipv6_routing() then return nil end
	local src, dst = last_value(f_ipv6_src), last_value(f_ipv6_dst)
	if not src or not dst or src:len() ~= 16 or dst:len() ~= 16 then return nil end
	local sum = 0
	for i = 0, 14, 2 do
		sum = sum + src:get_index(i) * 256 + src:get_index(i + 1)
		sum = sum + dst:get_index(i) * 256 + dst:get_index(i + 1)
	end
	sum = sum + math.floor(mhlen / 65536) + mhlen % 65536 + 135
	local b = tvb(0, mhlen):bytes()
	for i = 0, mhlen - 1, 2 do
		if i ~= 4 then
			local hi = b:get_index(i)
			local lo = (i + 1 < mhlen) and b:get_index(i + 1) or 0
			sum = sum + hi * 256 + lo
		end
	end
	while sum > 0xffff do
		sum = sum % 65536 + math.floor(sum / 65536)
	end
	return 0xffff - sum
end

local function dissect_mine(tvb, pinfo, tree, mhtype)
	local mhlen = (tvb(1, 1):uint() + 1) * 8
	pinfo.cols.protocol = "MIPv6"
	local t = tree:add(p, tvb(0, math.min(mhlen, tvb:len())))
	t:add(f["mh.proto"], tvb(0, 1))
	t:add(f["mh.hlen"], tvb(1, 1))
	t:add(f["mh.type"], tvb(2, 1))
	t:add(f["mh.reserved"], tvb(3, 1))
	local ck = t:add(f["mh.checksum"], tvb(4, 2))
	if mhlen > tvb:len() then
		t:add_proto_expert_info(ef.truncated, string.format("Header length says %d octets, %d captured", mhlen, tvb:len()))
		mhlen = tvb:len()
	else
		local want = mh_checksum(tvb, mhlen)
		local status = "unverified"
		if want then
			if want == tvb(4, 2):uint() then
				status = "good"
			else
				status = "bad"
				ck:add_proto_expert_info(ef.checksum, string.format("Bad Mobility Header checksum (should be 0x%04x)", want))
			end
		end
		t:add(f["mh.checksum.status"], status):set_generated()
	end

	local name, info, body
	if mhtype == MH_UPN then
		if mhlen < 12 then
			t:add_proto_expert_info(ef.truncated, "UPN shorter than its fixed part")
			return tvb:len()
		end
		name = "UPN"
		info = string.format("Update Notification (UPN) seq=%d reason=%d", tvb(6, 2):uint(), tvb(8, 2):uint())
		t:add(f["upn.seq"], tvb(6, 2))
		t:add(f["upn.reason"], tvb(8, 2))
		local ft = t:add(f["upn.flags"], tvb(10, 2))
		ft:add(f["upn.a"], tvb(10, 2))
		ft:add(f["upn.d"], tvb(10, 2))
		ft:add(f["upn.reserved"], tvb(10, 2))
		if band(tvb(10, 2):uint(), 0x4000) ~= 0 then info = info .. " retransmission" end
		body = 12
	elseif mhtype == MH_UPA then
		if mhlen < 12 then
			t:add_proto_expert_info(ef.truncated, "UPA shorter than its fixed part")
			return tvb:len()
		end
		name = "UPA"
		info = string.format("Update Notification Acknowledgement (UPA) seq=%d status=%d", tvb(6, 2):uint(), tvb(8, 1):uint())
		t:add(f["upa.seq"], tvb(6, 2))
		t:add(f["upa.status"], tvb(8, 1))
		t:add(f["upa.reserved"], tvb(9, 3))
		body = 12
	else
		if mhlen < 12 then
			t:add_proto_expert_info(ef.truncated, "FMI/FMA shorter than its fixed part")
			return tvb:len()
		end
		if band(tvb(8, 1):uint(), 0x80) ~= 0 then
			name = "FMI"
			info = string.format("Flow Mobility Initiate (FMI) seq=%d lifetime=%d", tvb(6, 2):uint(), tvb(10, 2):uint())
			t:add(f["fmi.seq"], tvb(6, 2))
			local ft = t:add(f["fmi.flags"], tvb(8, 2))
			ft:add(f["fmi.i"], tvb(8, 2))
			ft:add(f["fmi.c"], tvb(8, 2))
			ft:add(f["fmi.r"], tvb(8, 2))
			ft:add(f["fmi.reserved"], tvb(8, 2))
			t:add(f["fmi.lifetime"], tvb(10, 2))
			local fl = tvb(8, 2):uint()
			if band(fl, 0x4000) ~= 0 then info = info .. " cancel" end
			if band(fl, 0x2000) ~= 0 then info = info .. " refresh" end
		else
			name = "FMA"
			info = string.format("Flow Mobility Acknowledge (FMA) seq=%d status=%d", tvb(6, 2):uint(), tvb(9, 1):uint())
			t:add(f["fma.seq"], tvb(6, 2))
			t:add(f["fma.i"], tvb(8, 1))
			t:add(f["fma.reserved"], tvb(8, 1))
			t:add(f["fma.status"], tvb(9, 1))
			t:add(f["fma.lifetime"], tvb(10, 2))
		end
		body = 12
	end
	t:add(f["msg"], name):set_generated()
	t:append_text(", " .. info)
	pinfo.cols.info = info
	dissect_options(tvb, body, mhlen, t, pinfo)
	if tvb:len() > mhlen then
		-- payload after the MH (Payload Proto is 59 for every MH message we know)
		t:add_proto_expert_info(ef.badlen, string.format("%d octets after the Mobility Header", tvb:len() - mhlen))
	end
	return tvb:len()
end

-- A malformed message never raises a Lua error (which would stop the dissection
-- with "Dissector_call: Malformed frame"): it gets expert info on a flowmob item
-- and the rest of the capture decodes.
local function malformed(tvb, pinfo, tree, who)
	local t = tree:add(p, tvb(0, tvb:len()))
	local mhtype = tvb:len() >= 3 and tvb(2, 1):uint() or -1
	t:add_proto_expert_info(ef.malformed, string.format(
		"Malformed Mobility Header (MH type %d): %s", mhtype, who))
	pinfo.cols.protocol = "MIPv6"
	return tvb:len()
end

function p.dissector(tvb, pinfo, tree)
	if tvb:len() >= 8 then
		local mhtype = tvb(2, 1):uint()
		if mhtype == p.prefs.fm_type or mhtype == MH_UPN or mhtype == MH_UPA then
			local ok, r = pcall(dissect_mine, tvb, pinfo, tree, mhtype)
			if ok then return r end
			return malformed(tvb, pinfo, tree, "a field crosses the end of the message")
		end
	end
	if mip6_handle then
		-- the built-in dissector throws on a malformed PBU, BRI ...: catch it
		local ok, r = pcall(function() return mip6_handle:call(tvb, pinfo, tree) end)
		if ok then return r end
		return malformed(tvb, pinfo, tree, "the built-in mip6 dissector found it malformed")
	end
	return 0
end

DissectorTable.get("ip.proto"):add(135, p)
mip6_opts:add(OPT_FLOW_SUMMARY, opt_flow_summary)
mip6_opts:add(OPT_FLOW_ID, opt_flow_id)
mip6_opts:add(OPT_AUTH, opt_auth)
