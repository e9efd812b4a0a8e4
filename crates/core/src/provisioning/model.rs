//! The vocabulary of the provisioning catalogue: resources, fields and their rules.
//!
//! A [`Resource`] is declared once, as data; validation, storage, the HTTP routes and the
//! OpenAPI description are all derived from it. Wire names are SARK's; relations that
//! SARK spread over numbered columns (`queue1..6`, `path1..4`, `option0..11`) are
//! [`SlotGroup`]s stored as child rows, and whitespace lists are [`ListField`]s.

/// A field's stored and wire type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A JSON number, stored as BIGINT.
    Int,
    /// A JSON string, stored as TEXT.
    Text,
}

/// A validation rule, named after the Laravel rule SARK used.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// `nullable`: null (or an empty string) is accepted and stored as NULL.
    Nullable,
    /// `integer` on a text field: digits only, optionally with a leading `+` when the
    /// flag is true (phone numbers keep their leading zeros this way).
    DigitString { plus: bool },
    /// `digits:N`: exactly N digits.
    Digits(usize),
    /// `alpha_dash`: letters, digits, dashes and underscores.
    AlphaDash,
    /// `alpha_num`: letters and digits.
    AlphaNum,
    /// `alpha`: letters only.
    Alpha,
    /// `email`.
    Email,
    /// `in:a,b,c`.
    In(&'static [&'static str]),
    /// `regex:/.../` (Rust regex syntax, anchored by the pattern itself).
    Regex(&'static str),
    /// `min`: the smallest number, or the shortest length for text.
    Min(i64),
    /// `max`: the largest number, or the longest length for text.
    Max(i64),
    /// `exists:`: the key of an existing item of the named resource.
    Exists(&'static str),
    /// A routing destination (extension, queue, IVR, ...); its route class is stored in
    /// the named companion column.
    Destination { class: &'static str },
    /// A syntax read by a parser, whose message says what is wrong (a custom app's program).
    Parsed(fn(&str) -> Result<(), String>),
}

/// What happens to a field when an item is created.
#[derive(Debug, Clone, Copy)]
pub enum OnCreate {
    /// The client may leave it out.
    Optional,
    /// The client must give it.
    Required,
    /// Filled with this value when the client leaves it out.
    Default(&'static str),
    /// Generated from the CSPRNG when left out, and shown once in the create response.
    Generate(Generator),
}

/// How a secret is generated when the client does not give one.
#[derive(Debug, Clone, Copy)]
pub enum Generator {
    /// Letters and digits of this length.
    Password(usize),
    /// Decimal digits of this length.
    Pin(usize),
    /// Lowercase hex of this many random bytes: a key for machines (e.g. an HMAC key), which
    /// the installation's password length (`PWDLEN`) does not shorten.
    Token(usize),
}

/// Who may read and write a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Given on create and changed by update.
    ReadWrite,
    /// Given on create only (keys, device type); unchangeable afterwards.
    CreateOnly,
    /// Computed by the server; ignored when a client sends it back.
    ReadOnly,
    /// Write-only: never shown by a read, an error or a log.
    Secret,
}

/// One field of a resource.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Wire and column name.
    pub name: &'static str,
    /// Stored type.
    pub kind: Kind,
    /// Validation rules.
    pub rules: &'static [Rule],
    /// Behaviour on create.
    pub create: OnCreate,
    /// Read/write access.
    pub access: Access,
    /// One line for the OpenAPI description.
    pub doc: &'static str,
}

impl Field {
    /// A text field, optional, read-write.
    pub const fn text(name: &'static str) -> Field {
        Field { name, kind: Kind::Text, rules: &[], create: OnCreate::Optional, access: Access::ReadWrite, doc: "" }
    }
    /// An integer field, optional, read-write.
    pub const fn int(name: &'static str) -> Field {
        Field { kind: Kind::Int, ..Field::text(name) }
    }
    /// With these rules.
    pub const fn rules(self, rules: &'static [Rule]) -> Field {
        Field { rules, ..self }
    }
    /// Required on create.
    pub const fn required(self) -> Field {
        Field { create: OnCreate::Required, ..self }
    }
    /// Defaulted on create.
    pub const fn default(self, value: &'static str) -> Field {
        Field { create: OnCreate::Default(value), ..self }
    }
    /// Given on create only.
    pub const fn create_only(self) -> Field {
        Field { access: Access::CreateOnly, ..self }
    }
    /// Computed by the server.
    pub const fn read_only(self) -> Field {
        Field { access: Access::ReadOnly, ..self }
    }
    /// Write-only, generated when left out.
    pub const fn secret(self, generator: Option<Generator>) -> Field {
        let create = match generator {
            Some(g) => OnCreate::Generate(g),
            None => self.create,
        };
        Field { access: Access::Secret, create, ..self }
    }
    /// With a description.
    pub const fn doc(self, doc: &'static str) -> Field {
        Field { doc, ..self }
    }

    /// Whether null is acceptable.
    pub fn nullable(&self) -> bool {
        self.rules.iter().any(|r| matches!(r, Rule::Nullable))
    }

    /// The companion route-class column, when this field is a destination.
    pub fn class_column(&self) -> Option<&'static str> {
        self.rules.iter().find_map(|r| match r {
            Rule::Destination { class } => Some(*class),
            _ => None,
        })
    }

    /// The resource this field refers to, when it has an `exists` rule.
    pub fn refers_to(&self) -> Option<&'static str> {
        self.rules.iter().find_map(|r| match r {
            Rule::Exists(resource) => Some(*resource),
            _ => None,
        })
    }

    /// The store column for this field.
    pub fn column(&self) -> sb_store::Column<'static> {
        match self.kind {
            Kind::Int => sb_store::Column::int(self.name),
            Kind::Text => sb_store::Column::text(self.name),
        }
    }
}

/// Numbered wire fields stored as child rows: `queue1..queue6` become rows
/// `(parent, slot, queue)` of `table`.
#[derive(Debug, Clone, Copy)]
pub struct SlotGroup {
    /// The child table; its columns are `parent`, `slot` and one per field.
    pub table: &'static str,
    /// First and last slot number (inclusive).
    pub slots: (u8, u8),
    /// The per-slot fields; the wire name of slot n is the field name followed by n.
    pub fields: &'static [Field],
}

/// A whitespace-separated wire list stored as ordered child rows `(parent, position, column)`.
#[derive(Debug, Clone, Copy)]
pub struct ListField {
    /// The wire field, e.g. `out`.
    pub wire: &'static str,
    /// The child table.
    pub table: &'static str,
    /// The column holding one item.
    pub column: &'static str,
    /// A pattern each item must match.
    pub item_pattern: &'static str,
    /// At most this many items.
    pub max_items: usize,
    /// One line for the OpenAPI description.
    pub doc: &'static str,
}

/// How items of a resource are keyed.
#[derive(Debug, Clone, Copy)]
pub enum KeySpec {
    /// The client chooses the key (a field of the resource, usually `pkey`).
    Natural(&'static str),
    /// The store numbers items (`id`), and `pkey` is generated as prefix + random digits,
    /// as SARK's timers are.
    Serial { pkey_prefix: &'static str },
}

/// A creator's last step before writing: it may fill fields or refuse the draft.
pub type Prepare = fn(&mut super::draft::Draft) -> Result<(), super::FieldErrors>;

/// A way of creating items: SARK has typed creators for extensions.
#[derive(Debug, Clone, Copy)]
pub struct Creator {
    /// `None` for `POST /{resource}`, `Some("mailbox")` for `POST /{resource}/mailbox`.
    pub path: Option<&'static str>,
    /// Fields this creator requires on top of the resource's required ones.
    pub requires: &'static [&'static str],
    /// Fields this creator sets itself (and that a client may not give).
    pub presets: &'static [(&'static str, &'static str)],
    /// The HTTP status of a successful create (SARK answers 201 for `provisioned` only).
    pub status: u16,
    /// A last step before writing (e.g. the phone vendor from a MAC address).
    pub prepare: Option<Prepare>,
    /// Whether the new item gets the CoS rules marked `defaultopen`/`defaultclosed`
    /// (SARK does this for SIP extensions).
    pub default_cos: bool,
    /// One line for the OpenAPI description.
    pub doc: &'static str,
}

impl Creator {
    /// The plain `POST /{resource}` creator.
    pub const PLAIN: Creator =
        Creator { path: None, requires: &[], presets: &[], status: 200, prepare: None, default_cos: false, doc: "" };
}

/// A routable resource's place among destinations.
#[derive(Debug, Clone, Copy)]
pub struct Routable {
    /// SARK's route class for destinations that name an item of this resource.
    pub class: i64,
    /// The group name in `GET /destinations` (e.g. `Extensions`).
    pub group: &'static str,
}

/// How a resource's items relate to tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenancy {
    /// System-wide items (CoS rules, templates): tenant-scoped keys may read, not write.
    Global,
    /// Each item belongs to the tenant named in its `cluster` field.
    Owned,
    /// The items are the tenants themselves.
    IsTenant,
}

/// One provisionable resource.
#[derive(Debug)]
pub struct Resource {
    /// URL segment and audit name (`extensions`).
    pub name: &'static str,
    /// One item, for messages (`extension`).
    pub singular: &'static str,
    /// Table name.
    pub table: &'static str,
    /// How items are keyed.
    pub key: KeySpec,
    /// How items relate to tenants (decides what a tenant-scoped key may see).
    pub tenancy: Tenancy,
    /// Plain fields, in wire order.
    pub fields: &'static [Field],
    /// Numbered fields stored as child rows.
    pub slots: &'static [SlotGroup],
    /// List fields stored as child rows.
    pub lists: &'static [ListField],
    /// The ways of creating items.
    pub creators: &'static [Creator],
    /// Whether items can be deleted and updated through the API.
    pub writable: bool,
    /// Whether the item's key enters the shared dial namespace and the destinations.
    pub routable: Option<Routable>,
    /// Keys that can never be deleted (`default` tenant).
    pub undeletable: &'static [&'static str],
    /// One paragraph for the OpenAPI description.
    pub doc: &'static str,
}

impl Resource {
    /// The usual shape: a tenant's items keyed by `pkey`, created by `POST /{name}`,
    /// writable, not routable. Declarations override what differs (`..Resource::BASE`).
    pub const BASE: Resource = Resource {
        name: "",
        singular: "",
        table: "",
        key: KeySpec::Natural("pkey"),
        tenancy: Tenancy::Owned,
        fields: &[],
        slots: &[],
        lists: &[],
        creators: &[Creator::PLAIN],
        writable: true,
        routable: None,
        undeletable: &[],
        doc: "",
    };

    /// The key field's wire name (`pkey`, or `id` for serial resources).
    pub fn key_name(&self) -> &'static str {
        match self.key {
            KeySpec::Natural(name) => name,
            KeySpec::Serial { .. } => "id",
        }
    }

    /// Finds a plain field by wire name.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The store columns of the main table, in wire order.
    pub fn columns(&self) -> Vec<sb_store::Column<'static>> {
        let mut columns = Vec::with_capacity(self.fields.len() + 4);
        if let KeySpec::Serial { .. } = self.key {
            columns.push(sb_store::Column::int("id"));
        }
        columns.extend(self.fields.iter().map(Field::column));
        columns.extend(AUDIT_STAMPS.iter().copied());
        columns
    }
}

/// The change stamps every configuration table carries, as SARK's do.
pub const AUDIT_STAMPS: [sb_store::Column<'static>; 3] = [
    sb_store::Column::text("z_created"),
    sb_store::Column::text("z_updated"),
    sb_store::Column::text("z_updater"),
];
