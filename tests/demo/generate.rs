//! The generator of the demo app's data (`fixtures/demo/`): the three QVD files, the customers CSV, the
//! Qlik Cloud users export and the groups export. Deterministic (a fixed-seed SplitMix64, no clock, no
//! hash order), so the committed files are exactly what it writes; `tests/demo.rs` checks that, and
//! writes them again with `QSA_REGENERATE_DEMO=1 cargo test --test demo demo_files`.
//!
//! Hand-written, not generated: the script, `data/csv/countries.csv`, `data/csv/regions.csv` and
//! `data/security/section_access.csv` (they hold the deliberate mistakes, which a person should read).

use openqvd::{Column, Dual, Value, WriteTable};
use serde_json::{json, Value as Json};

/// SplitMix64: small, fixed, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// `n` characters of `alphabet`.
    fn word(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
}

const HEX: &[u8] = b"0123456789abcdef";
const OKTA: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Qlik's date serial (days since 1899-12-30) as `YYYY-MM-DD` (the script's DateFormat).
fn date_text(serial: i32) -> String {
    // Days since 1970-01-01, then Howard Hinnant's civil_from_days.
    let z = i64::from(serial) - 25_569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// 2024-01-01 and 2025-12-31 as Qlik date serials.
const FIRST_DAY: i32 = 45_292;
const LAST_DAY: i32 = 46_022;

// ------------------------------------------------------------------------------------------- products

/// (ProductID, ProductName, Category, ListPrice, UnitCost)
const PRODUCTS: &[(&str, &str, &str, f64, f64)] = &[
    ("P101", "Espresso Blend 1kg", "Coffee", 24.5, 13.9),
    ("P102", "House Blend 1kg", "Coffee", 19.9, 10.4),
    ("P103", "Ethiopia Yirgacheffe 1kg", "Coffee", 31.0, 18.6),
    ("P104", "Colombia Huila 1kg", "Coffee", 27.5, 15.8),
    ("P105", "Decaf Swiss Water 1kg", "Coffee", 26.0, 16.1),
    ("P106", "Cold Brew Concentrate 5L", "Coffee", 42.0, 21.5),
    ("P201", "English Breakfast 500g", "Tea", 14.5, 6.2),
    ("P202", "Sencha Green 250g", "Tea", 16.0, 7.9),
    ("P203", "Chamomile 250g", "Tea", 12.5, 5.1),
    ("P204", "Masala Chai 500g", "Tea", 18.0, 8.3),
    (
        "P301",
        "Espresso Machine 2-Group",
        "Equipment",
        6400.0,
        4350.0,
    ),
    ("P302", "Burr Grinder", "Equipment", 890.0, 540.0),
    ("P303", "Milk Frother", "Equipment", 149.0, 88.0),
    ("P401", "Paper Cups 12oz (1000)", "Supplies", 65.0, 38.0),
    ("P402", "Filter Papers (500)", "Supplies", 9.5, 4.2),
    ("P403", "Cleaning Tablets (100)", "Supplies", 21.0, 11.5),
];

fn str_col(name: &str, cells: impl IntoIterator<Item = String>) -> Column {
    Column::new(
        name,
        cells.into_iter().map(|s| Some(Value::Str(s))).collect(),
    )
}

fn int_col(name: &str, cells: impl IntoIterator<Item = i32>) -> Column {
    Column::new(
        name,
        cells.into_iter().map(|n| Some(Value::Int(n))).collect(),
    )
}

fn float_col(name: &str, cells: impl IntoIterator<Item = f64>) -> Column {
    Column::new(
        name,
        cells.into_iter().map(|n| Some(Value::Float(n))).collect(),
    )
}

fn qvd(name: &str, columns: Vec<Column>) -> Vec<u8> {
    WriteTable::new(name, columns)
        .and_then(|t| t.to_bytes())
        .expect("the generator's tables are well-formed")
}

fn products_qvd() -> Vec<u8> {
    qvd(
        "Products",
        vec![
            str_col("ProductID", PRODUCTS.iter().map(|p| p.0.to_string())),
            str_col("ProductName", PRODUCTS.iter().map(|p| p.1.to_string())),
            str_col("Category", PRODUCTS.iter().map(|p| p.2.to_string())),
            float_col("ListPrice", PRODUCTS.iter().map(|p| p.3)),
            float_col("UnitCost", PRODUCTS.iter().map(|p| p.4)),
        ],
    )
}

// ------------------------------------------------------------------------------------------- customers

/// (City, CountryCode): countries.csv maps the code to the country and the region.
const CITIES: &[(&str, &str)] = &[
    ("Berlin", "DE"),
    ("Hamburg", "DE"),
    ("Munich", "DE"),
    ("Paris", "FR"),
    ("Lyon", "FR"),
    ("London", "GB"),
    ("Manchester", "GB"),
    ("Edinburgh", "GB"),
    ("Stockholm", "SE"),
    ("Gothenburg", "SE"),
    ("Oslo", "NO"),
    ("Bergen", "NO"),
    ("Amsterdam", "NL"),
    ("Utrecht", "NL"),
    ("Cape Town", "ZA"),
    ("Dubai", "AE"),
    ("Seattle", "US"),
    ("Portland", "US"),
    ("Chicago", "US"),
    ("New York", "US"),
    ("Austin", "US"),
    ("Toronto", "CA"),
    ("Vancouver", "CA"),
    ("São Paulo", "BR"),
    ("Mexico City", "MX"),
    ("Sydney", "AU"),
    ("Melbourne", "AU"),
    ("Tokyo", "JP"),
    ("Osaka", "JP"),
    ("Singapore", "SG"),
    ("Auckland", "NZ"),
];

/// (name suffix, segment)
const KINDS: &[(&str, &str)] = &[
    ("Espresso Bar", "Café"),
    ("Roastery", "Café"),
    ("Coffee House", "Café"),
    ("Grand Hotel", "Hotel"),
    ("Bakery & Café", "Café"),
    ("Tea Room", "Café"),
    ("Office Park", "Office"),
    ("Deli", "Retail"),
    ("Food Hall", "Retail"),
];

/// 48 customers: every city once, then 17 more in cities picked at random.
fn customers(rng: &mut Rng) -> Vec<(String, String, &'static str, &'static str, &'static str)> {
    let mut out = Vec::new();
    let mut taken = std::collections::BTreeSet::new();
    let mut i = 0;
    while out.len() < 48 {
        let (city, country) = if i < CITIES.len() {
            CITIES[i]
        } else {
            *rng.pick(CITIES)
        };
        i += 1;
        let (kind, segment) = *rng.pick(KINDS);
        let name = format!("{city} {kind}");
        if !taken.insert(name.clone()) {
            continue;
        }
        let id = format!("C{:03}", out.len() + 1);
        out.push((id, name, city, country, segment));
    }
    out
}

fn customers_csv(
    customers: &[(String, String, &'static str, &'static str, &'static str)],
) -> Vec<u8> {
    let mut s = String::from("CustomerID,CustomerName,City,CountryCode,Segment\n");
    for (id, name, city, country, segment) in customers {
        s.push_str(&format!("{id},{name},{city},{country},{segment}\n"));
    }
    s.into_bytes()
}

// ------------------------------------------------------------------------------------------- orders

const CHANNELS: &[&str] = &["Field Sales", "Web Shop", "Distributor"];

fn orders_and_lines(rng: &mut Rng, n_customers: usize) -> (Vec<u8>, Vec<u8>) {
    let n_orders = 320;
    let (mut ids, mut dates, mut custs, mut channels) = (vec![], vec![], vec![], vec![]);
    let (mut l_order, mut l_no, mut l_prod, mut l_qty, mut l_price, mut l_disc) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    // Order dates rise with the order id, over the two years, on weekdays.
    let span = (LAST_DAY - FIRST_DAY) as usize;
    let mut days: Vec<i32> = (0..n_orders)
        .map(|_| {
            let mut d = FIRST_DAY + rng.below(span + 1) as i32;
            // Qlik serial 2 (1900-01-01) was a Monday; weekday = (serial - 2) mod 7, 5 and 6 are weekends.
            while (d - 2).rem_euclid(7) >= 5 {
                d -= 1;
            }
            d
        })
        .collect();
    days.sort_unstable();
    for (k, day) in days.into_iter().enumerate() {
        let order_id = 10_001 + k as i32;
        ids.push(order_id);
        dates.push(day);
        custs.push(format!("C{:03}", 1 + rng.below(n_customers)));
        channels.push(rng.pick(CHANNELS).to_string());
        let n_lines = 1 + rng.below(4);
        let mut used = Vec::new();
        for line in 1..=n_lines {
            let p = loop {
                let p = rng.below(PRODUCTS.len());
                if !used.contains(&p) {
                    break p;
                }
            };
            used.push(p);
            let (pid, _, category, price, _) = PRODUCTS[p];
            let qty = match category {
                "Equipment" => 1 + rng.below(2) as i32,
                "Supplies" => 2 + rng.below(10) as i32,
                _ => 5 + rng.below(36) as i32,
            };
            l_order.push(order_id);
            l_no.push(line as i32);
            l_prod.push(pid.to_string());
            l_qty.push(qty);
            l_price.push(price);
            l_disc.push(*rng.pick(&[0.0, 0.0, 0.0, 0.05, 0.1]));
        }
    }
    let orders = qvd(
        "Orders",
        vec![
            int_col("OrderID", ids),
            Column::new(
                "OrderDate",
                dates
                    .into_iter()
                    .map(|d| {
                        Some(Value::DualInt(Dual {
                            number: d,
                            text: date_text(d),
                        }))
                    })
                    .collect(),
            ),
            str_col("CustomerID", custs),
            str_col("SalesChannel", channels),
        ],
    );
    let lines = qvd(
        "OrderLines",
        vec![
            int_col("OrderID", l_order),
            int_col("LineNo", l_no),
            str_col("ProductID", l_prod),
            int_col("Quantity", l_qty),
            float_col("UnitPrice", l_price),
            float_col("Discount", l_disc),
        ],
    );
    (orders, lines)
}

// ------------------------------------------------------------------------------------------- directory

const IDP: &str = "idp";
const CUSTOM: &str = "custom";

/// The tenant's groups: (name, providerType, description of custom groups).
#[rustfmt::skip]
const GROUPS: &[(&str, &str, &str)] = &[
    ("All Employees", IDP, ""),
    ("BI Developers", IDP, ""),
    ("BI Platform Admins", IDP, ""),
    ("Field Service", IDP, ""),
    ("Finance", IDP, ""),
    ("LATAM Sales", IDP, ""),
    ("Marketing", IDP, ""),
    ("Sales Americas", IDP, ""),
    ("Sales APAC", IDP, ""),
    ("Sales EMEA", IDP, ""),
    ("Sales Nordics", IDP, ""),
    ("Supply Chain", IDP, ""),
    ("CG-Coffee-Category", CUSTOM, "Category managers for coffee"),
    ("CG-EMEA-Data-Stewards", CUSTOM, "Maintain EMEA master data; may edit sheets"),
    ("CG-Finance-Controlling", CUSTOM, "Controllers outside the Finance department"),
    ("CG-Marketing-Agency", CUSTOM, "External agency (Blue Fjord Media), EMEA campaigns"),
    ("CG-Tea-Category", CUSTOM, "Category managers for tea"),
];

/// (name, e-mail, status, groups, tenant roles). Everyone at Brightwater is in `All Employees`
/// (added below unless the e-mail is external or the user was only invited).
type UserSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

#[rustfmt::skip]
const USERS: &[UserSpec] = &[
    ("Priya Raman", "priya.raman@brightwater.example", "active", &["BI Developers"], &["SharedSpaceCreator", "ManagedSpaceCreator"]),
    ("Tomasz Nowak", "tomasz.nowak@brightwater.example", "active", &["BI Platform Admins"], &["TenantAdmin"]),
    ("Hannah Becker", "hannah.becker@brightwater.example", "active", &["BI Platform Admins"], &["AnalyticsAdmin"]),
    ("Kwame Mensah", "kwame.mensah@brightwater.example", "active", &["BI Platform Admins", "Finance"], &["AnalyticsAdmin"]),
    ("Sophie Laurent", "sophie.laurent@brightwater.example", "active", &["Sales EMEA"], &[]),
    ("Jonas Weber", "jonas.weber@brightwater.example", "active", &["Sales EMEA"], &[]),
    ("Amelia Clarke", "amelia.clarke@brightwater.example", "active", &["Sales EMEA"], &[]),
    ("Lars Eriksson", "lars.eriksson@brightwater.example", "active", &["Sales EMEA", "Sales Nordics"], &[]),
    ("Isabel Fernández", "isabel.fernandez@brightwater.example", "active", &["Sales EMEA"], &[]),
    ("Lena Vogel", "lena.vogel@brightwater.example", "active", &["Sales EMEA", "CG-Tea-Category"], &[]),
    ("Pieter de Vries", "pieter.devries@brightwater.example", "active", &["Sales EMEA"], &[]),
    ("Fatima Al-Sayed", "fatima.alsayed@brightwater.example", "active", &["Sales EMEA"], &[]),
    ("Marcus Johnson", "marcus.johnson@brightwater.example", "active", &["Sales Americas"], &[]),
    ("Emily Chen", "emily.chen@brightwater.example", "active", &["Sales Americas"], &[]),
    ("Diego Ramírez", "diego.ramirez@brightwater.example", "active", &["Sales Americas"], &[]),
    ("Olivia Brown", "olivia.brown@brightwater.example", "active", &["Sales Americas"], &[]),
    ("Ryan O'Connor", "ryan.oconnor@brightwater.example", "active", &["Sales Americas"], &[]),
    ("Camila Souza", "camila.souza@brightwater.example", "active", &["Sales Americas"], &[]),
    ("Haruto Sato", "haruto.sato@brightwater.example", "active", &["Sales APAC"], &[]),
    ("Mei Lin Tan", "meilin.tan@brightwater.example", "active", &["Sales APAC"], &[]),
    ("Jack Wilson", "jack.wilson@brightwater.example", "active", &["Sales APAC"], &[]),
    ("Aroha Ngata", "aroha.ngata@brightwater.example", "active", &["Sales APAC"], &[]),
    ("Ingrid Johansson", "ingrid.johansson@brightwater.example", "active", &["Sales Nordics"], &[]),
    ("Mikkel Hansen", "mikkel.hansen@brightwater.example", "active", &["Sales Nordics"], &[]),
    ("Sanna Virtanen", "sanna.virtanen@brightwater.example", "active", &["Sales Nordics"], &[]),
    ("Lucía Herrera", "lucia.herrera@brightwater.example", "active", &["LATAM Sales"], &[]),
    ("Mateo Gómez", "mateo.gomez@brightwater.example", "active", &["LATAM Sales"], &[]),
    ("Robert Fischer", "robert.fischer@brightwater.example", "active", &["Finance"], &[]),
    ("Grace Okafor", "grace.okafor@brightwater.example", "active", &["Finance"], &[]),
    ("Daniel Kim", "daniel.kim@brightwater.example", "disabled", &["Finance"], &[]),
    ("Aisha Khan", "aisha.khan@brightwater.example", "active", &["Finance"], &[]),
    ("Martin Schulz", "martin.schulz@brightwater.example", "active", &["Supply Chain", "CG-Finance-Controlling"], &[]),
    ("Chloé Dubois", "chloe.dubois@brightwater.example", "active", &["CG-Finance-Controlling"], &[]),
    ("Elena Petrova", "elena.petrova@brightwater.example", "active", &["CG-Coffee-Category"], &[]),
    ("Samuel Adeyemi", "samuel.adeyemi@brightwater.example", "active", &["Supply Chain", "CG-Coffee-Category"], &[]),
    ("Julia Nowicka", "julia.nowicka@brightwater.example", "active", &["CG-Coffee-Category"], &[]),
    ("Charlotte Evans", "charlotte.evans@brightwater.example", "active", &["CG-Tea-Category"], &[]),
    ("Arjun Mehta", "arjun.mehta@brightwater.example", "active", &["Supply Chain", "CG-Tea-Category"], &[]),
    ("Zoe Turner", "zoe.turner@bluefjord.example", "active", &["CG-Marketing-Agency"], &[]),
    ("Noah Schmidt", "noah.schmidt@bluefjord.example", "active", &["CG-Marketing-Agency"], &[]),
    ("Katrin Berg", "katrin.berg@brightwater.example", "active", &["Supply Chain", "CG-EMEA-Data-Stewards"], &[]),
    ("Yusuf Demir", "yusuf.demir@brightwater.example", "active", &["CG-EMEA-Data-Stewards"], &[]),
    ("Oliver Grant", "oliver.grant@brightwater.example", "active", &["Supply Chain"], &[]),
    ("Omar Haddad", "omar.haddad@brightwater.example", "active", &["Field Service"], &[]),
    ("Nina Patel", "nina.patel@brightwater.example", "active", &["Marketing"], &[]),
    ("Lucas Martin", "lucas.martin@brightwater.example", "active", &["Marketing"], &[]),
    ("Freya Lindqvist", "freya.lindqvist@brightwater.example", "active", &["Marketing"], &[]),
    ("Ethan Brooks", "ethan.brooks@brightwater.example", "active", &["Marketing"], &[]),
    ("Ben Carter", "ben.carter@brightwater.example", "invited", &[], &[]),
    ("Tom Avery", "tom.avery@brightwater.example", "active", &[], &[]),
];

/// The fixed ids of the tenant's roles that the users hold.
fn role(name: &str) -> Json {
    let (id, level) = match name {
        "TenantAdmin" => ("605a1c2151382ffc836af86a", "admin"),
        "AnalyticsAdmin" => ("605a1c2151382ffc836af86b", "admin"),
        "SharedSpaceCreator" => ("605a1c2151382ffc836af862", "user"),
        _ => ("605a1c2151382ffc836af863", "user"),
    };
    json!({ "id": id, "name": name, "type": "default", "level": level })
}

const TENANT: &str = "BwTr4dQ9xLmN2pZ7kVh5cY3sR8uJ6wEa";
const HOST: &str = "https://brightwater.eu.qlikcloud.com";

fn group_ids(rng: &mut Rng) -> Vec<String> {
    GROUPS
        .iter()
        .map(|_| format!("66b2{}", rng.word(HEX, 20)))
        .collect()
}

fn group_json(i: usize, ids: &[String]) -> Json {
    let (name, provider, description) = GROUPS[i];
    let mut g = json!({
        "id": ids[i],
        "tenantId": TENANT,
        "name": name,
    });
    let m = g.as_object_mut().expect("an object");
    if !description.is_empty() {
        m.insert("description".into(), json!(description));
    }
    m.insert("status".into(), json!("active"));
    m.insert("providerType".into(), json!(provider));
    if provider == IDP {
        m.insert("idpId".into(), json!("64c1f0e2a7b3d94e15c0a9d1"));
    } else {
        m.insert("createdBy".into(), json!("65f2a0c4e1b7d3f9a8c6e501"));
        m.insert("updatedBy".into(), json!("65f2a0c4e1b7d3f9a8c6e501"));
    }
    m.insert("createdAt".into(), json!("2025-03-04T09:12:44.318Z"));
    m.insert("lastUpdatedAt".into(), json!("2026-01-15T16:02:09.871Z"));
    m.insert("assignedRoles".into(), json!([]));
    m.insert(
        "links".into(),
        json!({ "self": { "href": format!("{HOST}/api/v1/groups/{}", ids[i]) } }),
    );
    g
}

fn groups_json(ids: &[String]) -> Vec<u8> {
    let all: Vec<Json> = (0..GROUPS.len()).map(|i| group_json(i, ids)).collect();
    pretty(&Json::Array(all))
}

fn users_json(rng: &mut Rng, ids: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, (name, email, status, groups, roles)) in USERS.iter().enumerate() {
        let id = format!("65f2a0c4{}", rng.word(HEX, 16));
        let subject = format!("00u{}", rng.word(OKTA, 17));
        let internal = email.ends_with("@brightwater.example") && *status != "invited";
        let mut names: Vec<&str> = Vec::new();
        if internal {
            names.push("All Employees");
        }
        names.extend(groups.iter());
        let assigned: Vec<Json> = names
            .iter()
            .map(|g| {
                let i = GROUPS
                    .iter()
                    .position(|x| x.0 == *g)
                    .expect("every user's group is a tenant group");
                json!({
                    "id": ids[i],
                    "name": GROUPS[i].0,
                    "providerType": GROUPS[i].1,
                    "assignedRoles": [],
                })
            })
            .collect();
        let created = format!(
            "2025-{:02}-{:02}T08:{:02}:17.204Z",
            3 + k % 9,
            1 + k % 27,
            k % 60
        );
        let mut u = json!({
            "id": id,
            "tenantId": TENANT,
            "status": status,
            "subject": subject,
            "name": name,
            "email": email,
            "assignedRoles": roles.iter().map(|r| role(r)).collect::<Vec<_>>(),
            "assignedGroups": assigned,
            "createdAt": created,
            "lastUpdatedAt": "2026-02-20T11:47:31.562Z",
        });
        let m = u.as_object_mut().expect("an object");
        if *status == "invited" {
            m.insert("inviteExpiry".into(), json!(1_772_409_600));
        } else {
            m.insert("locale".into(), json!("en"));
            m.insert("zoneinfo".into(), json!("Europe/London"));
        }
        m.insert(
            "links".into(),
            json!({ "self": { "href": format!("{HOST}/api/v1/users/{id}") } }),
        );
        out.push(u);
    }
    pretty(&Json::Array(out))
}

fn pretty(v: &Json) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(v).expect("JSON values serialise");
    s.push('\n');
    s.into_bytes()
}

/// Every generated file: its path under `fixtures/demo/` and its bytes.
pub fn files() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = Rng(0x0B21_6874_7761_7465);
    let customers = customers(&mut rng);
    let (orders, lines) = orders_and_lines(&mut rng, customers.len());
    let ids = group_ids(&mut rng);
    let users = users_json(&mut rng, &ids);
    vec![
        ("data/qvd/Products.qvd", products_qvd()),
        ("data/qvd/Orders.qvd", orders),
        ("data/qvd/OrderLines.qvd", lines),
        ("data/csv/customers.csv", customers_csv(&customers)),
        ("users.json", users),
        ("groups.json", groups_json(&ids)),
    ]
}

#[test]
fn dates_are_qlik_serials() {
    assert_eq!(date_text(FIRST_DAY), "2024-01-01");
    assert_eq!(date_text(LAST_DAY), "2025-12-31");
    assert_eq!(date_text(2), "1900-01-01");
    // 2024-01-01 was a Monday.
    assert_eq!((FIRST_DAY - 2).rem_euclid(7), 0);
}
