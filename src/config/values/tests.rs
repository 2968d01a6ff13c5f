//! Each value parses from what users write, and what it refuses says why.

use super::*;

fn p(s: &str) -> Result<PortMap, ValueError> {
    PortMap::try_from(s.to_string())
}

#[test]
fn ports() {
    let m = p("8080:80").unwrap();
    assert_eq!(
        (m.host_port, m.container_port, m.protocol.as_str()),
        (Some(8080), 80, "tcp")
    );
    let m = p("127.0.0.1:53:53/udp").unwrap();
    assert_eq!(m.host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(m.key(), "53/udp");
    assert_eq!(m.to_string(), "127.0.0.1:53:53/udp");
    assert_eq!(p("80").unwrap().host_port, None);
    assert!(p("80:http")
        .unwrap_err()
        .to_string()
        .contains("\"http\" is not a port number"));
    assert!(p("1:2:3:4").is_err());
    assert!(p("80/sctp").is_err());
    let m = p("[::1]:8080:80").unwrap();
    assert_eq!(m.host_ip.as_deref(), Some("::1"));
    assert_eq!(m.to_string(), "[::1]:8080:80");
    assert_eq!(p("[::]::80").unwrap().host_port, None);
    for bad in [
        "127.0.0.l:18931:80",
        "not-an-ip:8080:80",
        "999.999.999.999:8080:80",
        ":8080:80",
        "[127.0.0.1]:8080:80",
        "[::1:8080:80",
        "[::1]8080:80",
        "::1:8080:80",
    ] {
        assert!(p(bad).is_err(), "{bad} was accepted");
    }
    assert!(p("127.0.0.l:18931:80")
        .unwrap_err()
        .to_string()
        .contains("\"127.0.0.l\" is not an IP address"));
}

#[test]
fn clashing_host_ports() {
    let clash = |a: &str, b: &str| p(a).unwrap().clashes_with(&p(b).unwrap());
    assert!(clash("8080:80", "8080:81"));
    assert!(clash("127.0.0.1:8080:80", "8080:81"));
    assert!(clash("0.0.0.0:8080:80", "127.0.0.1:8080:81"));
    assert!(!clash("127.0.0.1:8080:80", "127.0.0.2:8080:80"));
    assert!(!clash("8080:80", "8080:80/udp"));
    assert!(!clash("8080:80", "8081:80"));
    assert!(!clash("80", "80"));
    assert!(!clash("0.0.0.0:8080:80", "[::1]:8080:80"));
}

#[test]
fn sizes_cpus_restart_signals() {
    let m = |s: &str| MemorySize::try_from(s.to_string()).map(|m| m.bytes);
    assert_eq!(m("256m").unwrap(), 256 << 20);
    assert_eq!(m("1g").unwrap(), 1 << 30);
    assert!(m("1024").unwrap_err().to_string().contains("6m minimum"));
    assert!(m("lots").is_err());
    assert_eq!(Cpus::try_from(0.5).unwrap().nano(), 500_000_000);
    assert!(Cpus::try_from(0.0).is_err());
    assert!(Restart::try_from("on-failure:3".to_string()).is_ok());
    assert!(Restart::try_from("always:3".to_string()).is_err());
    assert!(Restart::try_from("sometimes".to_string()).is_err());
    let sig = |s: &str| StopSignal::try_from(s.to_string()).map(|s| s.as_str().to_string());
    assert_eq!(sig("term").unwrap(), "SIGTERM");
    assert_eq!(sig("SIGQUIT").unwrap(), "SIGQUIT");
    assert_eq!(sig("9").unwrap(), "9");
    assert!(sig("SIGNOPE").is_err());
    assert_eq!(sig("RTMIN").unwrap(), "SIGRTMIN");
    assert_eq!(sig("SIGRTMIN+3").unwrap(), "SIGRTMIN+3");
    assert_eq!(sig("rtmax-14").unwrap(), "SIGRTMAX-14");
    for bad in [
        "RTMINjunk",
        "RTMIN+",
        "RTMIN+16",
        "RTMAX-15",
        "RTMAX+1",
        "RTMIN-1",
        "0",
        "65",
    ] {
        assert!(sig(bad).is_err(), "{bad} was accepted");
    }
}
