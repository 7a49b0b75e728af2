package cloudtrail

import "github.com/mcpwatch/mcpwatch/internal/ocsf"

// Activity ids of the three classes CloudTrail events map to.
const (
	activityUnknown = 0
	activityOther   = 99

	// API Activity (6003).
	apiCreate = 1
	apiRead   = 2
	apiUpdate = 3
	apiDelete = 4

	// Authentication (3002).
	authLogon = 1

	// Account Change (3001).
	acctCreate         = 1
	acctEnable         = 2
	acctPasswordChange = 3
	acctPasswordReset  = 4
	acctDisable        = 5
	acctDelete         = 6
	acctAttachPolicy   = 7
	acctDetachPolicy   = 8
	acctMFAEnable      = 10
	acctMFADisable     = 11
)

// authenticationEvents are the event names Security Lake maps to Authentication, with their
// activity: the sign-ins and role assumptions are Logon; CheckMfa and the credential
// challenges are Other (Security Lake's CheckMfa sample is Other).
var authenticationEvents = map[string]int32{
	"ConsoleLogin":              authLogon,
	"ExternalIdPDirectoryLogin": authLogon,
	"UserAuthentication":        authLogon,
	"AssumeRole":                authLogon,
	"AssumeRoleWithSAML":        authLogon,
	"AssumeRoleWithWebIdentity": authLogon,
	"CheckMfa":                  activityOther,
	"CredentialChallenge":       activityOther,
	"CredentialVerification":    activityOther,
}

// accountChangeSources are the event sources whose accountChangeEvents are Account Change:
// the same names from other services ("CreateUser" of Amazon MQ, Transfer Family, ...) are
// API Activity.
var accountChangeSources = map[string]bool{
	"iam.amazonaws.com":     true,
	"signin.amazonaws.com":  true,
	"account.amazonaws.com": true,
}

// accountChangeEvents are the event names Security Lake maps to Account Change (the IAM user,
// role, group, policy, credential and account-settings changes of the OCSF CloudTrail
// selector), with their activity where the name's verb does not give it.
var accountChangeEvents = map[string]int32{
	"AddRoleToInstanceProfile": acctAttachPolicy, "AddUserToGroup": acctAttachPolicy,
	"AttachGroupPolicy": 0, "AttachRolePolicy": 0, "AttachUserPolicy": 0,
	"ChangePassword": acctPasswordChange, "PasswordUpdated": acctPasswordChange,
	"CreateAccessKey": 0, "CreateAccountAlias": 0, "CreateInstanceProfile": 0, "CreateLoginProfile": 0,
	"CreateRole": 0, "CreateServiceLinkedRole": 0, "CreateUser": 0, "CreateVirtualMFADevice": 0,
	"DeactivateMFADevice": acctMFADisable, "EnableMFADevice": acctMFAEnable, "ResyncMFADevice": acctMFAEnable,
	"DeleteAccessKey": 0, "DeleteAccountAlias": 0, "DeleteAccountPasswordPolicy": 0, "DeleteGroup": 0,
	"DeleteGroupPolicy": 0, "DeleteInstanceProfile": 0, "DeleteLoginProfile": 0, "DeletePolicy": 0,
	"DeleteRole": 0, "DeleteRolePermissionsBoundary": 0, "DeleteRolePolicy": 0, "DeleteServiceLinkedRole": 0,
	"DeleteUser": 0, "DeleteUserPermissionsBoundary": 0, "DeleteUserPolicy": 0, "DeleteVirtualMFADevice": 0,
	"DetachGroupPolicy": 0, "DetachRolePolicy": 0, "DetachUserPolicy": 0,
	"PutGroupPolicy": 0, "PutRolePermissionsBoundary": 0, "PutRolePolicy": 0, "PutUserPermissionsBoundary": 0,
	"PutUserPolicy":                 0,
	"RemoveRoleFromInstanceProfile": 0, "RemoveUserFromGroup": 0,
	"UpdateLoginProfile": acctPasswordReset,
	"UpdateAccessKey":    0, "UpdateAccountEmailAddress": 0, "UpdateAccountName": 0, "UpdateAccountPasswordPolicy": 0,
	"UpdateAssumeRolePolicy": 0, "UpdateGroup": 0, "UpdateRole": 0, "UpdateRoleDescription": 0, "UpdateUser": 0,
	"EmailUpdated": 0, "AccountNameUpdated": 0, "FinalizeSmsMfaRegistration": 0, "RequestSmsMfaRegistration": 0,
	"TagInstanceProfile": 0, "TagRole": 0, "TagUser": 0, "UntagInstanceProfile": 0, "UntagRole": 0, "UntagUser": 0,
}

// accountChangeVerbs gives the Account Change activity of the names accountChangeEvents
// leaves to their verb; other verbs (Update, Tag, ...) are Other.
var accountChangeVerbs = map[string]int32{
	"Create": acctCreate, "Delete": acctDelete, "Attach": acctAttachPolicy, "Put": acctAttachPolicy,
	"Detach": acctDetachPolicy, "Remove": acctDetachPolicy,
}

// apiVerbs gives the API Activity of an event name by its verb, the name's first word
// ("Describe" of "DescribeInstances"): Security Lake's samples have Create, Describe, Get,
// List, Update and Delete, and an unknown verb as Other.
var apiVerbs = map[string]int32{
	"Create": apiCreate, "Run": apiCreate, "Generate": apiCreate, "Allocate": apiCreate, "Import": apiCreate,
	"Copy": apiCreate, "Issue": apiCreate, "Request": apiCreate, "Upload": apiCreate,

	"Get": apiRead, "List": apiRead, "Describe": apiRead, "Search": apiRead, "Lookup": apiRead, "Head": apiRead,
	"Query": apiRead, "Scan": apiRead, "Select": apiRead, "Download": apiRead, "Export": apiRead,
	"Check": apiRead, "Validate": apiRead, "Estimate": apiRead, "Preview": apiRead, "View": apiRead,

	"Update": apiUpdate, "Put": apiUpdate, "Modify": apiUpdate, "Add": apiUpdate, "Remove": apiUpdate,
	"Set": apiUpdate, "Start": apiUpdate, "Stop": apiUpdate, "Reboot": apiUpdate, "Attach": apiUpdate,
	"Detach": apiUpdate, "Associate": apiUpdate, "Disassociate": apiUpdate, "Tag": apiUpdate, "Untag": apiUpdate,
	"Enable": apiUpdate, "Disable": apiUpdate, "Register": apiUpdate, "Deregister": apiUpdate,
	"Replace": apiUpdate, "Reset": apiUpdate, "Change": apiUpdate, "Apply": apiUpdate, "Restore": apiUpdate,
	"Rotate": apiUpdate, "Accept": apiUpdate, "Reject": apiUpdate, "Cancel": apiUpdate, "Assign": apiUpdate,
	"Unassign": apiUpdate, "Authorize": apiUpdate, "Revoke": apiUpdate, "Grant": apiUpdate, "Retire": apiUpdate,
	"Resume": apiUpdate, "Suspend": apiUpdate,

	"Delete": apiDelete, "Terminate": apiDelete, "Purge": apiDelete, "Release": apiDelete, "Destroy": apiDelete,
}

// verb returns the first word of an event name: up to its second upper-case letter.
func verb(name string) string {
	for i := 1; i < len(name); i++ {
		if c := name[i]; c >= 'A' && c <= 'Z' {
			return name[:i]
		}
	}
	return name
}

// classify returns the OCSF class and activity of an event, as Security Lake selects them by
// event name and source.
func classify(source, name string) (class, activity int32) {
	if a, ok := authenticationEvents[name]; ok {
		return ocsf.ClassAuthentication, a
	}
	if a, ok := accountChangeEvents[name]; ok && accountChangeSources[source] {
		if a == 0 {
			if a = accountChangeVerbs[verb(name)]; a == 0 {
				a = activityOther
			}
		}
		return ocsf.ClassAccountChange, a
	}
	if a, ok := apiVerbs[verb(name)]; ok {
		return ocsf.ClassAPIActivity, a
	}
	return ocsf.ClassAPIActivity, activityOther
}

// classification holds the classification attributes of a class and activity, computed once
// with ocsf.Base.Classify so that they agree with package ocsf.
type classification struct {
	classUID, categoryUID, activityID int32
	className, categoryName           string
	activityName, typeName            string
	typeUID                           int64
}

// classKey identifies a class and activity.
type classKey struct{ class, activity int32 }

// classifications holds the classification of every class and activity classify returns
// (and of Unknown). It is built at initialization and never modified.
var classifications = func() map[classKey]*classification {
	m := map[classKey]*classification{}
	add := func(class int32, acts ...int32) {
		for _, a := range append(acts, activityUnknown, activityOther) {
			var b ocsf.Base
			b.Classify(class, a)
			m[classKey{class, a}] = &classification{b.ClassUID, b.CategoryUID, b.ActivityID, b.ClassName,
				b.CategoryName, b.ActivityName, b.TypeName, b.TypeUID}
		}
	}
	add(ocsf.ClassAPIActivity, apiCreate, apiRead, apiUpdate, apiDelete)
	add(ocsf.ClassAuthentication, authLogon)
	add(ocsf.ClassAccountChange, acctCreate, acctEnable, acctPasswordChange, acctPasswordReset, acctDisable,
		acctDelete, acctAttachPolicy, acctDetachPolicy, acctMFAEnable, acctMFADisable)
	return m
}()

// apply sets the classification attributes of b.
func (c *classification) apply(b *ocsf.Base) {
	b.ClassUID, b.ClassName = c.classUID, c.className
	b.CategoryUID, b.CategoryName = c.categoryUID, c.categoryName
	b.ActivityID, b.ActivityName = c.activityID, c.activityName
	b.TypeUID, b.TypeName = c.typeUID, c.typeName
}
