//! Names Procmon gives the numeric fields of a PML event: event classes, operations,
//! file-system sub-operations, access masks and dispositions.
//!
//! Values and names as documented by the reverse-engineering of eronnen/procmon-parser
//! (MIT, Copyright (c) 2020 Ely Ronnen), `procmon_parser/consts.py`: data, transcribed.

/// Event classes.
pub const CLASS_PROCESS: u32 = 1;
/// `Process Exit` in the process class.
pub const PROCESS_EXIT: u16 = 2;
pub const CLASS_REGISTRY: u32 = 2;
pub const CLASS_FILE_SYSTEM: u32 = 3;
pub const CLASS_PROFILING: u32 = 4;
pub const CLASS_NETWORK: u32 = 5;
pub const CLASS_IPC: u32 = 6;

const PROCESS_OPS: &[&str] = &[
    "Process Defined",
    "Process Create",
    "Process Exit",
    "Thread Create",
    "Thread Exit",
    "Load Image",
    "Thread Profile",
    "Process Start",
    "Process Statistics",
    "System Statistics",
];

pub const REG_OPEN_KEY: u16 = 0;
pub const REG_CREATE_KEY: u16 = 1;
pub const REG_QUERY_KEY: u16 = 3;
pub const REG_SET_VALUE: u16 = 4;
pub const REG_QUERY_VALUE: u16 = 5;
pub const REG_ENUM_VALUE: u16 = 6;
pub const REG_ENUM_KEY: u16 = 7;
pub const REG_SET_INFO_KEY: u16 = 8;
pub const REG_LOAD_KEY: u16 = 12;
pub const REG_RENAME_KEY: u16 = 14;
const REGISTRY_OPS: &[&str] = &[
    "RegOpenKey",
    "RegCreateKey",
    "RegCloseKey",
    "RegQueryKey",
    "RegSetValue",
    "RegQueryValue",
    "RegEnumValue",
    "RegEnumKey",
    "RegSetInfoKey",
    "RegDeleteKey",
    "RegDeleteValue",
    "RegFlushKey",
    "RegLoadKey",
    "RegUnloadKey",
    "RegRenameKey",
    "RegQueryMultipleValueKey",
    "RegSetKeySecurity",
    "RegQueryKeySecurity",
];

const NETWORK_OPS: &[&str] = &[
    "Unknown",
    "Other",
    "Send",
    "Receive",
    "Accept",
    "Connect",
    "Disconnect",
    "Reconnect",
    "Retransmit",
    "TCPCopy",
];
const PROFILING_OPS: &[&str] = &[
    "Thread Profiling",
    "Process Profiling",
    "Debug Output Profiling",
];

pub const FS_CREATE_FILE: u16 = 20;
const FS_QUERY_VOLUME_INFORMATION: u16 = 30;
const FS_SET_VOLUME_INFORMATION: u16 = 31;
const FS_QUERY_INFORMATION_FILE: u16 = 25;
const FS_SET_INFORMATION_FILE: u16 = 26;
pub const FS_DIRECTORY_CONTROL: u16 = 32;
const FS_LOCK_UNLOCK_FILE: u16 = 37;
const FS_PLUG_AND_PLAY: u16 = 47;
const FILESYSTEM_OPS: &[&str] = &[
    "VolumeDismount",
    "VolumeMount",
    "FASTIO_MDL_WRITE_COMPLETE",
    "WriteFile2",
    "FASTIO_MDL_READ_COMPLETE",
    "ReadFile2",
    "QueryOpen",
    "FASTIO_CHECK_IF_POSSIBLE",
    "IRP_MJ_12",
    "IRP_MJ_11",
    "IRP_MJ_10",
    "IRP_MJ_9",
    "IRP_MJ_8",
    "FASTIO_NOTIFY_STREAM_FO_CREATION",
    "FASTIO_RELEASE_FOR_CC_FLUSH",
    "FASTIO_ACQUIRE_FOR_CC_FLUSH",
    "FASTIO_RELEASE_FOR_MOD_WRITE",
    "FASTIO_ACQUIRE_FOR_MOD_WRITE",
    "FASTIO_RELEASE_FOR_SECTION_SYNCHRONIZATION",
    "CreateFileMapping",
    "CreateFile",
    "CreatePipe",
    "IRP_MJ_CLOSE",
    "ReadFile",
    "WriteFile",
    "QueryInformationFile",
    "SetInformationFile",
    "QueryEAFile",
    "SetEAFile",
    "FlushBuffersFile",
    "QueryVolumeInformation",
    "SetVolumeInformation",
    "DirectoryControl",
    "FileSystemControl",
    "DeviceIoControl",
    "InternalDeviceIoControl",
    "Shutdown",
    "LockUnlockFile",
    "CloseFile",
    "CreateMailSlot",
    "QuerySecurityFile",
    "SetSecurityFile",
    "Power",
    "SystemControl",
    "DeviceChange",
    "QueryFileQuota",
    "SetFileQuota",
    "PlugAndPlay",
];

const QUERY_VOLUME_SUBOPS: &[(u8, &str)] = &[
    (1, "QueryInformationVolume"),
    (2, "QueryLabelInformationVolume"),
    (3, "QuerySizeInformationVolume"),
    (4, "QueryDeviceInformationVolume"),
    (5, "QueryAttributeInformationVolume"),
    (6, "QueryControlInformationVolume"),
    (7, "QueryFullSizeInformationVolume"),
    (8, "QueryObjectIdInformationVolume"),
];
const SET_VOLUME_SUBOPS: &[(u8, &str)] = &[
    (1, "SetControlInformationVolume"),
    (2, "SetLabelInformationVolume"),
    (8, "SetObjectIdInformationVolume"),
];
const QUERY_INFORMATION_SUBOPS: &[(u8, &str)] = &[
    (0x04, "QueryBasicInformationFile"),
    (0x05, "QueryStandardInformationFile"),
    (0x06, "QueryFileInternalInformationFile"),
    (0x07, "QueryEaInformationFile"),
    (0x09, "QueryNameInformationFile"),
    (0x0e, "QueryPositionInformationFile"),
    (0x12, "QueryAllInformationFile"),
    (0x14, "QueryEndOfFile"),
    (0x16, "QueryStreamInformationFile"),
    (0x1c, "QueryCompressionInformationFile"),
    (0x1d, "QueryId"),
    (0x1f, "QueryMoveClusterInformationFile"),
    (0x22, "QueryNetworkOpenInformationFile"),
    (0x23, "QueryAttributeTagFile"),
    (0x25, "QueryIdBothDirectory"),
    (0x27, "QueryValidDataLength"),
    (0x28, "QueryShortNameInformationFile"),
    (0x2b, "QueryIoPiorityHint"),
    (0x2e, "QueryLinks"),
    (0x30, "QueryNormalizedNameInformationFile"),
    (0x31, "QueryNetworkPhysicalNameInformationFile"),
    (0x32, "QueryIdGlobalTxDirectoryInformation"),
    (0x33, "QueryIsRemoteDeviceInformation"),
    (0x34, "QueryAttributeCacheInformation"),
    (0x35, "QueryNumaNodeInformation"),
    (0x36, "QueryStandardLinkInformation"),
    (0x37, "QueryRemoteProtocolInformation"),
    (0x38, "QueryRenameInformationBypassAccessCheck"),
    (0x39, "QueryLinkInformationBypassAccessCheck"),
    (0x3a, "QueryVolumeNameInformation"),
    (0x3b, "QueryIdInformation"),
    (0x3c, "QueryIdExtdDirectoryInformation"),
    (0x3e, "QueryHardLinkFullIdInformation"),
    (0x3f, "QueryIdExtdBothDirectoryInformation"),
    (0x43, "QueryDesiredStorageClassInformation"),
    (0x44, "QueryStatInformation"),
    (0x45, "QueryMemoryPartitionInformation"),
    (0x46, "QuerySatLxInformation"),
    (0x47, "QueryCaseSensitiveInformation"),
    (0x48, "QueryLinkInformationEx"),
    (0x49, "QueryLinkInfomraitonBypassAccessCheck"),
    (0x4a, "QueryStorageReservedIdInformation"),
    (0x4b, "QueryCaseSensitiveInformationForceAccessCheck"),
];
const SET_INFORMATION_SUBOPS: &[(u8, &str)] = &[
    (0x04, "SetBasicInformationFile"),
    (0x0a, "SetRenameInformationFile"),
    (0x0b, "SetLinkInformationFile"),
    (0x0d, "SetDispositionInformationFile"),
    (0x0e, "SetPositionInformationFile"),
    (0x13, "SetAllocationInformationFile"),
    (0x14, "SetEndOfFileInformationFile"),
    (0x16, "SetFileStreamInformation"),
    (0x17, "SetPipeInformation"),
    (0x27, "SetValidDataLengthInformationFile"),
    (0x28, "SetShortNameInformation"),
    (0x3d, "SetReplaceCompletionInformation"),
    (0x40, "SetDispositionInformationEx"),
    (0x41, "SetRenameInformationEx"),
    (0x42, "SetRenameInformationExBypassAccessCheck"),
    (0x4a, "SetStorageReservedIdInformation"),
];
const DIRECTORY_CONTROL_SUBOPS: &[(u8, &str)] =
    &[(1, "QueryDirectory"), (2, "NotifyChangeDirectory")];
const LOCK_SUBOPS: &[(u8, &str)] = &[
    (1, "LockFile"),
    (2, "UnlockFileSingle"),
    (3, "UnlockFileAll"),
    (4, "UnlockFileByKey"),
];
const PNP_SUBOPS: &[(u8, &str)] = &[
    (0x0, "StartDevice"),
    (0x1, "QueryRemoveDevice"),
    (0x2, "RemoveDevice"),
    (0x3, "CancelRemoveDevice"),
    (0x4, "StopDevice"),
    (0x5, "QueryStopDevice"),
    (0x6, "CancelStopDevice"),
    (0x7, "QueryDeviceRelations"),
    (0x8, "QueryInterface"),
    (0x9, "QueryCapabilities"),
    (0xa, "QueryResources"),
    (0xb, "QueryResourceRequirements"),
    (0xc, "QueryDeviceText"),
    (0xd, "FilterResourceRequirements"),
    (0xf, "ReadConfig"),
    (0x10, "WriteConfig"),
    (0x11, "Eject"),
    (0x12, "SetLock"),
    (0x13, "QueryId2"),
    (0x14, "QueryPnpDeviceState"),
    (0x15, "QueryBusInformation"),
    (0x16, "DeviceUsageNotification"),
    (0x17, "SurpriseRemoval"),
    (0x18, "QueryLegacyBusInformation"),
];

/// The operation name Procmon prints for an event (file-system sub-operations
/// resolved; an unknown sub-operation prints as `<Unknown>`, as Procmon does).
pub fn operation(class: u32, op: u16, sub_op: u8) -> String {
    let pick = |t: &[&str]| {
        t.get(op as usize)
            .map_or_else(|| format!("<Unknown: {op}>"), |s| s.to_string())
    };
    match class {
        CLASS_PROCESS => pick(PROCESS_OPS),
        CLASS_REGISTRY => pick(REGISTRY_OPS),
        CLASS_NETWORK => pick(NETWORK_OPS),
        CLASS_PROFILING => pick(PROFILING_OPS),
        CLASS_FILE_SYSTEM | CLASS_IPC => {
            let subs: Option<&[(u8, &str)]> = match op {
                FS_QUERY_VOLUME_INFORMATION => Some(QUERY_VOLUME_SUBOPS),
                FS_SET_VOLUME_INFORMATION => Some(SET_VOLUME_SUBOPS),
                FS_QUERY_INFORMATION_FILE => Some(QUERY_INFORMATION_SUBOPS),
                FS_SET_INFORMATION_FILE => Some(SET_INFORMATION_SUBOPS),
                FS_DIRECTORY_CONTROL => Some(DIRECTORY_CONTROL_SUBOPS),
                FS_LOCK_UNLOCK_FILE => Some(LOCK_SUBOPS),
                FS_PLUG_AND_PLAY => Some(PNP_SUBOPS),
                _ => None,
            };
            match subs {
                Some(t) if sub_op != 0 => t
                    .iter()
                    .find(|(v, _)| *v == sub_op)
                    .map_or_else(|| "<Unknown>".to_string(), |(_, n)| n.to_string()),
                _ => pick(FILESYSTEM_OPS),
            }
        }
        _ => format!("<Unknown class {class}>"),
    }
}

const COMMON_ACCESS: &[(u32, &str)] = &[
    (0x10000, "Delete"),
    (0x20000, "Read Control"),
    (0x40000, "Write DAC"),
    (0x80000, "Write Owner"),
    (0x100000, "Synchronize"),
    (0x1000000, "Access System Security"),
    (0x2000000, "Maximum Allowed"),
];
const REGISTRY_ACCESS: &[(u32, &str)] = &[
    (0xf003f, "All Access"),
    (0x2001f, "Read/Write"),
    (0x20019, "Read"),
    (0x20006, "Write"),
    (0x1, "Query Value"),
    (0x2, "Set Value"),
    (0x4, "Create Sub Key"),
    (0x8, "Enumerate Sub Keys"),
    (0x10, "Notify"),
    (0x20, "Create Link"),
    (0x300, "WOW64_Res"),
    (0x200, "WOW64_32Key"),
    (0x100, "WOW64_64Key"),
];
const FILE_ACCESS: &[(u32, &str)] = &[
    (0x1f01ff, "All Access"),
    (0x1201bf, "Generic Read/Write/Execute"),
    (0x12019f, "Generic Read/Write"),
    (0x1200a9, "Generic Read/Execute"),
    (0x1201b6, "Generic Write/Execute"),
    (0x120089, "Generic Read"),
    (0x120116, "Generic Write"),
    (0x1200a0, "Generic Execute"),
    (0x1, "Read Data/List Directory"),
    (0x2, "Write Data/Add File"),
    (0x4, "Append Data/Add Subdirectory/Create Pipe Instance"),
    (0x8, "Read EA"),
    (0x10, "Write EA"),
    (0x20, "Execute/Traverse"),
    (0x40, "Delete Child"),
    (0x80, "Read Attributes"),
    (0x100, "Write Attributes"),
];
/// What the generic bits map to (MapGenericMask), registry and file.
const REGISTRY_GENERIC: [u32; 4] = [0x20019, 0x20006, 0x20019, 0xf003f];
const FILE_GENERIC: [u32; 4] = [0x120089, 0x120116, 0x1200a0, 0x1f01ff];

fn mask_string(mut mask: u32, generic: [u32; 4], specific: &[(u32, &str)]) -> String {
    for (bit, map) in [0x8000_0000u32, 0x4000_0000, 0x2000_0000, 0x1000_0000]
        .into_iter()
        .zip(generic)
    {
        if mask & bit != 0 {
            mask |= map;
        }
    }
    let original = mask;
    let mut parts = Vec::new();
    for &(v, name) in specific.iter().chain(COMMON_ACCESS) {
        if mask & v == v {
            parts.push(name);
            mask &= !v;
        }
    }
    if parts.is_empty() {
        format!("None 0x{original:x}")
    } else {
        parts.join(", ")
    }
}

/// Procmon's rendering of a registry desired-access mask.
pub fn registry_access(mask: u32) -> String {
    mask_string(mask, REGISTRY_GENERIC, REGISTRY_ACCESS)
}

/// Procmon's rendering of a file desired-access mask.
pub fn file_access(mask: u32) -> String {
    mask_string(mask, FILE_GENERIC, FILE_ACCESS)
}

/// CreateFile dispositions by value, as Procmon names them.
pub const DISPOSITIONS: [&str; 6] = [
    "Supersede",
    "Open",
    "Create",
    "OpenIf",
    "Overwrite",
    "OverwriteIf",
];

/// Procmon's name of a CreateFile disposition.
pub fn disposition(d: u32) -> &'static str {
    DISPOSITIONS.get(d as usize).copied().unwrap_or("<unknown>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_procmon_prints_them() {
        assert_eq!(operation(CLASS_PROCESS, 5, 0), "Load Image");
        assert_eq!(operation(CLASS_REGISTRY, REG_SET_VALUE, 0), "RegSetValue");
        assert_eq!(
            operation(CLASS_FILE_SYSTEM, FS_CREATE_FILE, 0),
            "CreateFile"
        );
        assert_eq!(
            operation(CLASS_FILE_SYSTEM, FS_SET_INFORMATION_FILE, 0x40),
            "SetDispositionInformationEx"
        );
        assert_eq!(
            operation(CLASS_FILE_SYSTEM, FS_SET_INFORMATION_FILE, 0x99),
            "<Unknown>"
        );
        assert_eq!(
            operation(CLASS_FILE_SYSTEM, FS_SET_INFORMATION_FILE, 0),
            "SetInformationFile"
        );
    }

    #[test]
    fn access_masks() {
        assert_eq!(
            file_access(0x4000_0000 | 0x80),
            "Generic Write, Read Attributes"
        );
        assert_eq!(registry_access(0x2_0019), "Read");
        assert_eq!(registry_access(0x6), "Set Value, Create Sub Key");
        assert_eq!(registry_access(0x0200_0000), "Maximum Allowed");
        assert_eq!(file_access(0), "None 0x0");
        assert_eq!(disposition(5), "OverwriteIf");
    }
}
