// SPDX-License-Identifier: BSD-2-Clause
//
// pmip-ns3-wifi: the testbed's 802.11 access network in ns-3 (real time).
//
//   MAG1 a1 ==tap== AP1 (x = 0)          AP2 (x = --distance) ==tap== a1 MAG2
//                        \                  /
//                         ~~ STA i (mn<i> mn0, UseLocal tap) ~~
//
// Two access points (802.11a, one SSID, one channel) and --stas stations.
// Each AP's device is joined to a tap (TapBridge UseBridge) that the
// testbed moves into its MAG's namespace as the MAG's access interface;
// each station's device to a tap (UseLocal) that becomes the MN's mn0.
// Radio range is a hard cut-off (RangePropagationLossModel, --range):
// the APs are out of each other's range, and a station hears only the AP
// it is near.  The stations move on commands read from stdin:
//
//   pos STA X        put station STA (1..n) at x = X metres (y = 0)
//   at STA AP        put it next to access point AP (1 or 2)
//   away STA         put it out of every AP's range
//   quit             stop the simulation
//
// A station that stops hearing its AP's beacons (--missed of them) leaves
// the BSS and listens; it associates with the first AP whose beacon it
// hears (passive scanning: 3.37's active probing crashes in Txop::Queue).  Each
// association and disassociation is reported on stdout, one line each,
// the way an AP daemon reports them (hostapd's AP-STA-CONNECTED /
// AP-STA-DISCONNECTED), with the wall-clock time in nanoseconds:
//
//   AP-STA-CONNECTED ap=1 sta=02:00:00:00:00:01 t=1764234567123456789
//   AP-STA-DISCONNECTED ap=1 sta=02:00:00:00:00:01 t=...
//
// ns-3 3.37's access points keep a silent station associated; the
// disconnection is reported, and the AP made to forget the station, when
// the station itself gives the BSS up (beacon loss), as an AP's
// inactivity check would later.
//
// The taps must exist (persistent, `ip tuntap add mode tap`) in the
// namespace this program runs in when it starts; they can be moved to
// other namespaces once "READY" is printed.  A station's tap must carry
// the station's MAC address (--staMacs) from the start: UseLocal takes the
// source address of the first frame it reads as the device's.  An AP's
// tap may carry any address (UseBridge sends with the frame's source).

#include <sys/time.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ns3/core-module.h"
#include "ns3/mobility-module.h"
#include "ns3/network-module.h"
#include "ns3/tap-bridge-module.h"
#include "ns3/wifi-module.h"

using namespace ns3;

namespace
{

struct Params
{
    uint32_t stas = 1;
    double distance = 100.0; // between the APs
    double range = 40.0;     // radio range
    uint32_t beaconUs = 51200;
    uint32_t missed = 4;
    uint32_t scanMs = 60; // passive scan: how long to listen for beacons
    std::string apTaps = "ap1tap,ap2tap";
    std::string apMacs = "02:00:5e:00:a0:01,02:00:5e:00:a0:02";
    std::string staTaps = "sta1tap";
    std::string staMacs = "02:00:00:00:00:01";
    std::string ssid = "pmip";
    std::string start = "1"; // per station: AP number, or "away"
    std::string pcap;        // prefix of per-device 802.11 captures
};

std::vector<std::string>
Split(const std::string& s)
{
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string x;
    while (std::getline(ss, x, ','))
        if (!x.empty())
            out.push_back(x);
    return out;
}

long long
WallNs()
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

std::vector<Mac48Address> g_apMacs;
std::vector<Ptr<Node>> g_stas;
Params g_p;

int
ApIndex(Mac48Address bssid)
{
    for (size_t k = 0; k < g_apMacs.size(); k++)
        if (g_apMacs[k] == bssid)
            return (int)k + 1;
    return 0;
}

void
Report(const char* what, int ap, Mac48Address sta)
{
    std::cout << what << " ap=" << ap << " sta=" << sta << " t=" << WallNs() << std::endl;
}

// The association completed (the station has the AP's response).  Taken
// from the station's side: 3.37's AP traces an association only when it
// assigns a new AID, not when a station it still lists comes back.
void
StaAssoc(Mac48Address sta, Mac48Address bssid)
{
    Report("AP-STA-CONNECTED", ApIndex(bssid), sta);
}

void
ApDeAssoc(int ap, uint16_t /* aid */, Mac48Address sta)
{
    Report("AP-STA-DISCONNECTED", ap, sta);
}

std::vector<Ptr<WifiNetDevice>> g_apDevs;

// The station gave its BSS up (beacon loss).  Its AP is told to forget it,
// as an AP's inactivity check would (3.37's APs keep silent stations, and
// then do not report their next association).
void
StaDeAssoc(Mac48Address sta, Mac48Address bssid)
{
    int ap = ApIndex(bssid);
    if (ap > 0)
        g_apDevs[ap - 1]->GetRemoteStationManager()->RecordDisassociated(sta);
    Report("AP-STA-DISCONNECTED", ap, sta);
}

double
ApX(int ap)
{
    return ap == 2 ? g_p.distance : 0.0;
}

void
SetX(uint32_t sta, double x)
{
    if (sta < 1 || sta > g_stas.size())
        return;
    Ptr<MobilityModel> mm = g_stas[sta - 1]->GetObject<MobilityModel>();
    mm->SetPosition(Vector(x, 0.0, 0.0));
    std::cout << "POS sta=" << sta << " x=" << x << " t=" << WallNs() << std::endl;
}

void
Stop()
{
    Simulator::Stop();
}

// Reads commands and hands them to the simulator thread.
void
ReadCommands()
{
    std::string line;
    while (std::getline(std::cin, line))
    {
        std::istringstream in(line);
        std::string cmd;
        uint32_t sta = 0;
        in >> cmd;
        if (cmd == "quit")
            break;
        if (!(in >> sta))
            continue;
        double x;
        if (cmd == "pos" && (in >> x))
        {
        }
        else if (cmd == "at")
        {
            int ap = 0;
            if (!(in >> ap) || ap < 1 || ap > 2)
                continue;
            x = ApX(ap) + (ap == 1 ? 1.0 : -1.0);
        }
        else if (cmd == "away")
            x = g_p.distance / 2.0; // out of both ranges
        else
            continue;
        Simulator::ScheduleWithContext(Simulator::NO_CONTEXT, Seconds(0), &SetX, sta, x);
    }
    Simulator::ScheduleWithContext(Simulator::NO_CONTEXT, Seconds(0), &Stop);
}

// WifiHelper::Install gave the device an allocated address, already
// copied to its frame exchange manager (and, for an AP, the BSSID); a
// TapBridge, when it starts, sets the device's address (not the frame
// exchange manager's) to its tap's.  Both must agree, or the AP sends
// data from an address that is not the BSSID and ignores frames to it
// (and a station drops the AP's data).  So this runs again after the
// bridges have started.
void
SetMac(Ptr<WifiNetDevice> dev, Mac48Address a, bool ap)
{
    dev->SetAddress(a);
    Ptr<FrameExchangeManager> fem = dev->GetMac()->GetFrameExchangeManager();
    fem->SetAddress(a);
    if (ap)
    {
        dev->GetMac()->SetBssid(a, 0);
        fem->SetBssid(a);
    }
}

void
Ready()
{
    std::cout << "READY t=" << WallNs() << std::endl;
}

} // namespace

int
main(int argc, char* argv[])
{
    CommandLine cmd(__FILE__);
    cmd.AddValue("stas", "number of stations", g_p.stas);
    cmd.AddValue("distance", "metres between the two APs", g_p.distance);
    cmd.AddValue("range", "radio range, metres", g_p.range);
    cmd.AddValue("beaconUs", "beacon interval (multiple of 1024 us)", g_p.beaconUs);
    cmd.AddValue("missed", "beacons missed before a station leaves", g_p.missed);
    cmd.AddValue("scanMs", "a leaving station listens this long for beacons", g_p.scanMs);
    cmd.AddValue("apTaps", "the APs' tap names, comma-separated", g_p.apTaps);
    cmd.AddValue("apMacs", "the APs' MAC addresses (BSSIDs)", g_p.apMacs);
    cmd.AddValue("staTaps", "the stations' tap names", g_p.staTaps);
    cmd.AddValue("staMacs", "the stations' MAC addresses", g_p.staMacs);
    cmd.AddValue("ssid", "the SSID of both APs", g_p.ssid);
    cmd.AddValue("start", "per station: AP it starts at (1, 2) or away", g_p.start);
    cmd.AddValue("pcap", "write radiotap captures with this file prefix", g_p.pcap);
    cmd.Parse(argc, argv);

    std::vector<std::string> apTaps = Split(g_p.apTaps), apMacs = Split(g_p.apMacs),
                             staTaps = Split(g_p.staTaps), staMacs = Split(g_p.staMacs),
                             start = Split(g_p.start);
    if (apTaps.size() != 2 || apMacs.size() != 2 || staTaps.size() != g_p.stas ||
        staMacs.size() != g_p.stas || g_p.range * 2 >= g_p.distance)
    {
        std::cerr << "pmip-ns3-wifi: need 2 AP taps and MACs, --stas station taps "
                     "and MACs, and --range < --distance / 2"
                  << std::endl;
        return 2;
    }

    GlobalValue::Bind("SimulatorImplementationType", StringValue("ns3::RealtimeSimulatorImpl"));
    GlobalValue::Bind("ChecksumEnabled", BooleanValue(true));

    NodeContainer aps, stas;
    aps.Create(2);
    stas.Create(g_p.stas);

    YansWifiChannelHelper chan;
    chan.SetPropagationDelay("ns3::ConstantSpeedPropagationDelayModel");
    chan.AddPropagationLoss("ns3::RangePropagationLossModel", "MaxRange",
                            DoubleValue(g_p.range));
    YansWifiPhyHelper phy;
    phy.SetChannel(chan.Create());

    WifiHelper wifi;
    wifi.SetStandard(WIFI_STANDARD_80211a);
    wifi.SetRemoteStationManager("ns3::ConstantRateWifiManager", "DataMode",
                                 StringValue("OfdmRate54Mbps"), "ControlMode",
                                 StringValue("OfdmRate6Mbps"));
    Ssid ssid(g_p.ssid);

    WifiMacHelper mac;
    mac.SetType("ns3::ApWifiMac", "Ssid", SsidValue(ssid), "BeaconInterval",
                TimeValue(MicroSeconds(g_p.beaconUs)));
    NetDeviceContainer apDevs = wifi.Install(phy, mac, aps);
    mac.SetType("ns3::StaWifiMac", "Ssid", SsidValue(ssid), "ActiveProbing", BooleanValue(false),
                "MaxMissedBeacons", UintegerValue(g_p.missed), "WaitBeaconTimeout",
                TimeValue(MilliSeconds(g_p.scanMs)));
    NetDeviceContainer staDevs = wifi.Install(phy, mac, stas);
    if (!g_p.pcap.empty())
    {
        phy.SetPcapDataLinkType(WifiPhyHelper::DLT_IEEE802_11_RADIO);
        phy.EnablePcap(g_p.pcap, apDevs);
        phy.EnablePcap(g_p.pcap, staDevs);
    }

    MobilityHelper mob;
    mob.SetMobilityModel("ns3::ConstantPositionMobilityModel");
    mob.Install(aps);
    mob.Install(stas);
    aps.Get(0)->GetObject<MobilityModel>()->SetPosition(Vector(ApX(1), 0, 0));
    aps.Get(1)->GetObject<MobilityModel>()->SetPosition(Vector(ApX(2), 0, 0));
    for (uint32_t i = 0; i < g_p.stas; i++)
    {
        std::string s = i < start.size() ? start[i] : "away";
        double x = s == "1" ? ApX(1) + 1.0 : s == "2" ? ApX(2) - 1.0 : g_p.distance / 2.0;
        stas.Get(i)->GetObject<MobilityModel>()->SetPosition(Vector(x, 0, 0));
        g_stas.push_back(stas.Get(i));
    }

    TapBridgeHelper tap;
    for (uint32_t k = 0; k < 2; k++)
    {
        Ptr<WifiNetDevice> dev = DynamicCast<WifiNetDevice>(apDevs.Get(k));
        Mac48Address a(apMacs[k].c_str());
        SetMac(dev, a, true);
        Simulator::Schedule(Seconds(0.05), &SetMac, dev, a, true);
        g_apMacs.push_back(a);
        g_apDevs.push_back(dev);
        dev->GetMac()->TraceConnectWithoutContext("DeAssociatedSta",
                                                  MakeBoundCallback(&ApDeAssoc, (int)k + 1));
        tap.SetAttribute("Mode", StringValue("UseBridge"));
        tap.SetAttribute("DeviceName", StringValue(apTaps[k]));
        tap.Install(aps.Get(k), dev);
    }
    for (uint32_t i = 0; i < g_p.stas; i++)
    {
        Ptr<WifiNetDevice> dev = DynamicCast<WifiNetDevice>(staDevs.Get(i));
        Mac48Address a(staMacs[i].c_str());
        SetMac(dev, a, false);
        Simulator::Schedule(Seconds(0.05), &SetMac, dev, a, false);
        dev->GetMac()->TraceConnectWithoutContext("Assoc", MakeBoundCallback(&StaAssoc, a));
        dev->GetMac()->TraceConnectWithoutContext("DeAssoc", MakeBoundCallback(&StaDeAssoc, a));
        tap.SetAttribute("Mode", StringValue("UseLocal"));
        tap.SetAttribute("DeviceName", StringValue(staTaps[i]));
        tap.Install(stas.Get(i), dev);
    }

    Simulator::Schedule(Seconds(0.1), &Ready);
    std::thread reader(ReadCommands);
    reader.detach();
    Simulator::Run();
    Simulator::Destroy();
    std::cout << "STOPPED t=" << WallNs() << std::endl;
    std::_Exit(0); // the reader thread may still block on stdin
}
