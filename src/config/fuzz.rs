//! Seeded mutations of devloop.toml for the loader's fuzz tests (the library's and the binary's).
//!
//! Plain std, so `tests/it/config_errors.rs` includes this same file: a tiny xorshift generator and
//! the kinds of damage a hurried edit or a bad merge does to a config — flipped bytes, deleted or
//! repeated lines, values swapped between keys, huge numbers, odd unicode, wrong types.
#![allow(dead_code)]

/// xorshift64*: deterministic for a seed, good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The example every key is in, and small configs that reach the rules between keys.
pub fn corpus() -> Vec<String> {
    let mut out = vec![
        include_str!("../../devloop.toml.example").to_string(),
        include_str!("../../examples/shop/devloop.toml").to_string(),
    ];
    out.extend(SMALL.iter().map(|s| s.to_string()));
    out
}

const SMALL: &[&str] = &[
    "[app]\nname = \"s\"\n[deploy]\ntarget = \"docker\"\n[services.db]\nimage = \"postgres:16\"\ndeploy.docker.volumes = [\"s-db:/data\"]\n[services.api]\nneeds = [\"db\"]\nbuild.context = \"api\"\ndeploy.docker.ports = [\"8080:80\"]\n[[services.api.test]]\nname = \"u\"\nkind = \"image\"\nrun = \"true\"\n[services.web]\nneeds = [\"api\"]\ndeploy.docker.ports = [\"8081:80\"]\n[[test]]\nname = \"s\"\nkind = \"stack\"\nrun = \"true\"\n[env.prod.services.db]\nenabled = false\n",
    "[app]\nname = \"web\"\ndefault_env = \"dev\"\n\n[deploy]\ntarget = \"docker\"\ntimeout = \"90s\"\n\n[deploy.health]\nhttp = \"/healthz\"\nport = 80\ninterval = \"2s\"\nretries = 3\n\n[deploy.docker]\nports = [\"127.0.0.1:8080:80\", \"[::1]:8443:443\"]\nstop_signal = \"SIGTERM\"\n\n[env.dev]\ndeploy.docker.name = \"web-dev\"\n",
    "[app]\nname = \"api\"\n\n[[test]]\nname = \"a\"\nrun = \"true\"\n\n[[test]]\nname = \"b\"\nrun = \"true\"\nneeds = [\"a\"]\n\n[[test]]\nname = \"svc\"\nkind = \"service\"\nport = 8080\nhttp = \"/\"\nready_timeout = \"30s\"\nneeds = [\"b\"]\n\n[deploy]\ntarget = \"swarm\"\n\n[deploy.swarm]\nreplicas = 2\nports = [\"8081:80/udp\"]\n[deploy.swarm.update]\norder = \"start-first\"\ndelay = \"1s\"\n",
    "[app]\nname = \"w\"\n[build]\nargs = { A = \"1\", S = { value = \"${SECRET:-x}\", secret = true } }\nlabels = { \"org.example\" = \"v\" }\ntags = [\"{short_sha}\", \"{branch}-{timestamp}\"]\n[release]\nmoving_tags = [\"latest\"]\n[deploy]\ntarget = \"docker\"\n[env.a]\ndeploy.timeout = \"1m\"\n[env.b]\ndeploy.timeout = \"${B_TIMEOUT:-2m}\"\n",
];

/// Values that, put in place of another, find the loader's type and range checks.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "65536",
    "18446744073709551615",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "-0.0",
    "nan",
    "inf",
    "true",
    "\"\"",
    "\" \"",
    "\"0s\"",
    "\"100000000000y\"",
    "\"18446744073709551615s\"",
    "\"7d\"",
    "\"1ns\"",
    "\"90\"",
    "\"soon\"",
    "\"127.0.0.l:18931:80\"",
    "\"999.999.999.999:1:2\"",
    "\"[::1]:8080:80\"",
    "\"[::1:8080:80\"",
    "\"8080:80\"",
    "[\"8080:80\", \"8080:81\"]",
    "\"RTMINjunk\"",
    "\"RTMAX-14\"",
    "\"no-slash\"",
    "\"Bad Name!\"",
    "\"${UNSET_VAR}\"",
    "\"${\"",
    "\"$${X}\"",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    "[]",
    "[1, 2]",
    "{}",
    "{ value = \"v\", secret = true }",
    "{ value = 5 }",
    "\"é\u{301}\u{200b}\u{202e}\"",
    "\"\u{1F680}\"",
    "\"\\u0000\"",
    "\"docker\"",
    "\"ecs\"",
    "\"service\"",
];

const JUNK: &[&str] = &[
    "\u{0}",
    "\u{feff}",
    "\u{200b}",
    "\u{202e}",
    "é",
    "\u{1F680}",
    "\r",
    "\t",
    "[",
    "]",
    "=",
    "\"",
    "'",
    "#",
    ".",
    "{",
    "}",
    ",",
    "\\",
    "$",
    "[[test]]\n",
    "[env.x]\n",
    "[deploy.health]\n",
];

/// One mutation of `text`: one to three edits of the kinds above.
pub fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut out = text.to_string();
    for _ in 0..1 + rng.below(3) {
        out = match rng.below(8) {
            0 => flip_byte(&out, rng),
            1 => delete_line(&out, rng),
            2 => repeat_line(&out, rng),
            3 => swap_values(&out, rng),
            4 | 5 => replace_value(&out, rng),
            6 => insert_junk(&out, rng),
            _ => swap_lines(&out, rng),
        };
    }
    out
}

fn flip_byte(text: &str, rng: &mut Rng) -> String {
    let mut bytes = text.as_bytes().to_vec();
    if bytes.is_empty() {
        return String::new();
    }
    let i = rng.below(bytes.len());
    bytes[i] ^= 1 << rng.below(8);
    // Not every flip stays UTF-8; the loader reads text, so keep what a file read would give.
    String::from_utf8_lossy(&bytes).into_owned()
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

fn delete_line(text: &str, rng: &mut Rng) -> String {
    let mut l = lines(text);
    if !l.is_empty() {
        l.remove(rng.below(l.len()));
    }
    l.join("\n")
}

fn repeat_line(text: &str, rng: &mut Rng) -> String {
    let mut l = lines(text);
    if !l.is_empty() {
        let i = rng.below(l.len());
        let line = l[i].clone();
        l.insert(i, line);
    }
    l.join("\n")
}

fn swap_lines(text: &str, rng: &mut Rng) -> String {
    let mut l = lines(text);
    if l.len() > 1 {
        let (a, b) = (rng.below(l.len()), rng.below(l.len()));
        l.swap(a, b);
    }
    l.join("\n")
}

/// Indices of `key = value` lines (not comments, not headers).
fn assignments(l: &[String]) -> Vec<usize> {
    l.iter()
        .enumerate()
        .filter(|(_, s)| {
            let t = s.trim_start();
            !t.starts_with('#') && !t.starts_with('[') && t.contains('=')
        })
        .map(|(i, _)| i)
        .collect()
}

fn swap_values(text: &str, rng: &mut Rng) -> String {
    let mut l = lines(text);
    let a = assignments(&l);
    if a.len() < 2 {
        return text.to_string();
    }
    let (i, j) = (*rng.pick(&a), *rng.pick(&a));
    let (Some((ki, vi)), Some((kj, vj))) = (
        l[i].split_once('=')
            .map(|(k, v)| (k.to_string(), v.to_string())),
        l[j].split_once('=')
            .map(|(k, v)| (k.to_string(), v.to_string())),
    ) else {
        return text.to_string();
    };
    l[i] = format!("{ki}={vj}");
    l[j] = format!("{kj}={vi}");
    l.join("\n")
}

fn replace_value(text: &str, rng: &mut Rng) -> String {
    let mut l = lines(text);
    let a = assignments(&l);
    if a.is_empty() {
        return text.to_string();
    }
    let i = *rng.pick(&a);
    if let Some((k, _)) = l[i].split_once('=') {
        l[i] = format!("{k}= {}", rng.pick(VALUES));
    }
    l.join("\n")
}

fn insert_junk(text: &str, rng: &mut Rng) -> String {
    let boundaries: Vec<usize> = (0..=text.len())
        .filter(|i| text.is_char_boundary(*i))
        .collect();
    let at = *rng.pick(&boundaries);
    format!("{}{}{}", &text[..at], rng.pick(JUNK), &text[at..])
}
