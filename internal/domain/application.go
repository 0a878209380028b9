package domain

import (
	"fmt"
	"slices"
)

// An application (依申请公开) is a person's or an organisation's request
// for government information, handled on Article 33's clock. Its states,
// routes, applicant types and outcome codes are the annual report's
// (国办公开办函〔2021〕30号, table 三): the report counts by exactly these.

// CaseState is where an application is. The names are part of the API.
type CaseState string

// The states of an application.
const (
	CaseReceived            CaseState = "received"             // taken in, the clock running
	CaseSupplementRequested CaseState = "supplement_requested" // a 补正 is out: the clock waits for the applicant
	CaseProcessing          CaseState = "processing"           // being handled (after a 补正, a pause or an outcome)
	CaseExtended            CaseState = "extended"             // the one extension granted
	CaseReplyInReview       CaseState = "reply_in_review"      // the reply (答复书) is a draft in the three stages
	CaseAnswered            CaseState = "answered"             // the reply was approved; delivery to the applicant follows
	CaseClosed              CaseState = "closed"
)

// CaseStates lists every state, in order.
var CaseStates = []CaseState{CaseReceived, CaseSupplementRequested, CaseProcessing, CaseExtended, CaseReplyInReview, CaseAnswered, CaseClosed}

// Valid reports whether s is a known state.
func (s CaseState) Valid() bool { return slices.Contains(CaseStates, s) }

// Open reports whether the case still runs on the clock: not answered or
// closed, and not waiting for its reply's review either (the reply is the
// answer; its deadline still applies, so it still counts).
func (s CaseState) Open() bool { return s != CaseAnswered && s != CaseClosed }

// IntakeRoute is how an application arrived, which sets its received date
// (Article 31).
type IntakeRoute string

// The routes.
const (
	RouteOnline IntakeRoute = "online" // the public column's form: the day the system confirms it
	RouteLetter IntakeRoute = "letter" // the day it is signed for
	RouteVisit  IntakeRoute = "visit"  // an office visit: that day
)

// IntakeRoutes lists every route.
var IntakeRoutes = []IntakeRoute{RouteOnline, RouteLetter, RouteVisit}

// Valid reports whether r is a known route.
func (r IntakeRoute) Valid() bool { return slices.Contains(IntakeRoutes, r) }

// ApplicantType is the annual report's column of an applicant.
type ApplicantType string

// The applicant types: a natural person, or one of the five kinds of legal
// person or other organisation.
const (
	ApplicantNatural  ApplicantType = "natural"   // 自然人
	ApplicantBusiness ApplicantType = "business"  // 商业企业
	ApplicantResearch ApplicantType = "research"  // 科研机构
	ApplicantCharity  ApplicantType = "charity"   // 社会公益组织
	ApplicantLegal    ApplicantType = "legal"     // 法律服务机构
	ApplicantOtherOrg ApplicantType = "other_org" // 其他
)

// ApplicantTypes lists the types in the report's column order.
var ApplicantTypes = []ApplicantType{ApplicantNatural, ApplicantBusiness, ApplicantResearch, ApplicantCharity, ApplicantLegal, ApplicantOtherOrg}

// Valid reports whether t is a known type.
func (t ApplicantType) Valid() bool { return slices.Contains(ApplicantTypes, t) }

// Outcome is how an application was concluded: a row of table 三.
type Outcome string

// OutcomeInfo is an outcome's row: its group (予以公开, 部分公开, 不予公开,
// 无法提供, 不予处理, 其他处理) and its name.
type OutcomeInfo struct {
	Code    Outcome
	Group   string
	NameZH  string
	NeedsNo bool // the case can close without a reply (the applicant's own default)
}

// OutcomeTable lists every outcome in the report's row order.
var OutcomeTable = []OutcomeInfo{
	{Code: "disclosed", Group: "disclosed", NameZH: "予以公开"},
	{Code: "partly_disclosed", Group: "partly_disclosed", NameZH: "部分公开（区分处理的，只计这一情形，不计其他情形）"},
	{Code: "withheld_secret", Group: "withheld", NameZH: "属于国家秘密"},
	{Code: "withheld_law", Group: "withheld", NameZH: "其他法律行政法规禁止公开"},
	{Code: "withheld_safety", Group: "withheld", NameZH: "危及“三安全一稳定”"},
	{Code: "withheld_third_party", Group: "withheld", NameZH: "保护第三方合法权益"},
	{Code: "withheld_internal", Group: "withheld", NameZH: "属于三类内部事务信息"},
	{Code: "withheld_process", Group: "withheld", NameZH: "属于四类过程性信息"},
	{Code: "withheld_enforcement", Group: "withheld", NameZH: "属于行政执法案卷"},
	{Code: "withheld_inquiry", Group: "withheld", NameZH: "属于行政查询事项"},
	{Code: "unavailable_not_held", Group: "unavailable", NameZH: "本机关不掌握相关政府信息"},
	{Code: "unavailable_needs_making", Group: "unavailable", NameZH: "没有现成信息需要另行制作"},
	{Code: "unavailable_unclear", Group: "unavailable", NameZH: "补正后申请内容仍不明确"},
	{Code: "rejected_petition", Group: "rejected", NameZH: "信访举报投诉类申请"},
	{Code: "rejected_repeat", Group: "rejected", NameZH: "重复申请"},
	{Code: "rejected_publication", Group: "rejected", NameZH: "要求提供公开出版物"},
	{Code: "rejected_mass", Group: "rejected", NameZH: "无正当理由大量反复申请"},
	{Code: "rejected_confirmation", Group: "rejected", NameZH: "要求行政机关确认或重新出具已获取信息"},
	{Code: "other_no_supplement", Group: "other", NameZH: "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", NeedsNo: true},
	{Code: "other_no_fee", Group: "other", NameZH: "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", NeedsNo: true},
	{Code: "other", Group: "other", NameZH: "其他"},
}

// Outcomes lists every outcome code.
var Outcomes = func() []Outcome {
	out := make([]Outcome, len(OutcomeTable))
	for i, o := range OutcomeTable {
		out[i] = o.Code
	}
	return out
}()

// Valid reports whether o is a known outcome.
func (o Outcome) Valid() bool { return slices.Contains(Outcomes, o) }

// Info is o's row (the zero OutcomeInfo for an unknown code).
func (o Outcome) Info() OutcomeInfo {
	for _, oi := range OutcomeTable {
		if oi.Code == o {
			return oi
		}
	}
	return OutcomeInfo{}
}

// PauseReason is why the clock stopped: consultations Article 32 and
// Article 33 leave out of the time.
type PauseReason string

// The pause reasons.
const (
	PauseThirdParty PauseReason = "third_party" // 征求第三方意见 (Article 32)
	PauseAgencies   PauseReason = "agencies"    // 征求其他机关意见
)

// PauseReasons lists the reasons.
var PauseReasons = []PauseReason{PauseThirdParty, PauseAgencies}

// Valid reports whether r is a known reason.
func (r PauseReason) Valid() bool { return slices.Contains(PauseReasons, r) }

// DeliveryMethod is how a reply reached the applicant.
type DeliveryMethod string

// The delivery methods.
const (
	DeliveryEmail      DeliveryMethod = "email"
	DeliveryPost       DeliveryMethod = "post"
	DeliveryCollection DeliveryMethod = "collection" // collected at the office
)

// DeliveryMethods lists the methods.
var DeliveryMethods = []DeliveryMethod{DeliveryEmail, DeliveryPost, DeliveryCollection}

// Valid reports whether m is a known method.
func (m DeliveryMethod) Valid() bool { return slices.Contains(DeliveryMethods, m) }

// AppealKind is 行政复议 or 行政诉讼 (table 四).
type AppealKind string

// The appeal kinds.
const (
	AppealReview  AppealKind = "review"  // 行政复议
	AppealLawsuit AppealKind = "lawsuit" // 行政诉讼
)

// AppealKinds lists the kinds.
var AppealKinds = []AppealKind{AppealReview, AppealLawsuit}

// Valid reports whether k is a known kind.
func (k AppealKind) Valid() bool { return slices.Contains(AppealKinds, k) }

// AppealOutcome is where an appeal ended (table 四's columns).
type AppealOutcome string

// The appeal outcomes.
const (
	AppealUpheld    AppealOutcome = "upheld"    // 维持
	AppealCorrected AppealOutcome = "corrected" // 纠正
	AppealOther     AppealOutcome = "other"     // 其他
	AppealPending   AppealOutcome = "pending"   // 尚未审结
)

// AppealOutcomes lists the outcomes, in the report's order.
var AppealOutcomes = []AppealOutcome{AppealUpheld, AppealCorrected, AppealOther, AppealPending}

// Valid reports whether o is a known appeal outcome.
func (o AppealOutcome) Valid() bool { return slices.Contains(AppealOutcomes, o) }

// CaseAction is anything done to an application. Each is an audit action
// too, as "application_" + the action.
type CaseAction string

// The case actions.
const (
	CaseIntake             CaseAction = "received"
	CaseRequestSupplement  CaseAction = "supplement_requested"
	CaseSupplementArrived  CaseAction = "supplement_received"
	CasePauseStart         CaseAction = "pause_started"
	CasePauseEnd           CaseAction = "pause_ended"
	CaseRequestExtension   CaseAction = "extension_requested" // a handler asks the head for the extension
	CaseDeclineExtension   CaseAction = "extension_declined"  // the head declines the request
	CaseExtend             CaseAction = "extended"            // the head approves the extension (CanApproveExtension)
	CaseRecordOutcome      CaseAction = "outcome"
	CaseStartReply         CaseAction = "reply_started"
	CaseReplyPublished     CaseAction = "answered" // the system's: the reply was approved at 终审
	CaseRecordDelivery     CaseAction = "delivered"
	CaseClose              CaseAction = "closed"
	CaseRecordFee          CaseAction = "fee"
	CaseRecordAppeal       CaseAction = "appeal"
	CaseAssignHandler      CaseAction = "handler_assigned" // a handler (承办人) given the case: at intake, or by the head or an admin
	CaseRemoveHandler      CaseAction = "handler_removed"  // by the head or an admin
	CaseTake               CaseAction = "taken"            // a case handler takes a case that has no handler
	CaseDocumentAdded      CaseAction = "document_added"
	CaseDocumentRead       CaseAction = "document_read"
	CaseDocumentDeleted    CaseAction = "document_deleted"
	CaseDocumentsRetention CaseAction = "retention_set" // the agency's retention of identity documents
)

// AuditAction is the action's name in the trail.
func (a CaseAction) AuditAction() string { return "application_" + string(a) }

// caseActionZH names the actions in the refusals' Chinese.
var caseActionZH = map[CaseAction]string{
	CaseIntake: "登记申请", CaseRequestSupplement: "告知补正", CaseSupplementArrived: "记录收到补正", CasePauseStart: "暂停期限（征求意见）",
	CasePauseEnd: "结束征求意见", CaseRequestExtension: "申请延期", CaseDeclineExtension: "不批准延期", CaseExtend: "批准延长答复期限",
	CaseRecordOutcome: "记录办理结果", CaseStartReply: "起草答复书", CaseReplyPublished: "答复", CaseRecordDelivery: "记录送达",
	CaseClose: "办结", CaseRecordFee: "记录收费", CaseRecordAppeal: "记录行政复议或行政诉讼", CaseAssignHandler: "指定承办人",
	CaseRemoveHandler: "撤销承办人", CaseTake: "领办", CaseDocumentAdded: "上传身份证明材料", CaseDocumentRead: "查看身份证明材料",
	CaseDocumentDeleted: "删除身份证明材料", CaseDocumentsRetention: "设置身份证明材料保存期限",
}

// NameZH is the action's Chinese name (the code for an unknown one).
func (a CaseAction) NameZH() string {
	if n, ok := caseActionZH[a]; ok {
		return n
	}
	return string(a)
}

// caseStateZH names the states as the pages do.
var caseStateZH = map[CaseState]string{CaseReceived: "已收到", CaseSupplementRequested: "待补正", CaseProcessing: "办理中",
	CaseExtended: "已延期", CaseReplyInReview: "答复书审核中", CaseAnswered: "已答复", CaseClosed: "已办结"}

// NameZH is the state's Chinese name (the code for an unknown one).
func (s CaseState) NameZH() string {
	if n, ok := caseStateZH[s]; ok {
		return n
	}
	return string(s)
}

// caseActive are the states in which the handler works the case.
var caseActive = []CaseState{CaseReceived, CaseProcessing, CaseExtended}

// NextCase is the state action a moves a case in state from to; every
// change of a case's state is asked of it. Recording a fee, an appeal or a
// document, and who handles the case, changes no state and is possible in
// any state (a closed case's handlers answer its appeals).
func NextCase(from CaseState, a CaseAction) (CaseState, error) {
	active := slices.Contains(caseActive, from)
	switch a {
	case CaseRequestSupplement:
		if from == CaseReceived {
			return CaseSupplementRequested, nil
		}
	case CaseSupplementArrived:
		if from == CaseSupplementRequested {
			return CaseProcessing, nil
		}
	case CasePauseStart, CasePauseEnd, CaseRecordOutcome:
		if from == CaseReceived {
			return CaseProcessing, nil
		}
		if active || a == CaseRecordOutcome && from == CaseSupplementRequested {
			return from, nil
		}
	case CaseExtend:
		if from == CaseReceived || from == CaseProcessing {
			return CaseExtended, nil
		}
	case CaseRequestExtension, CaseDeclineExtension:
		if from == CaseReceived || from == CaseProcessing {
			return from, nil
		}
	case CaseStartReply:
		if active {
			return CaseReplyInReview, nil
		}
	case CaseReplyPublished:
		if from == CaseReplyInReview {
			return CaseAnswered, nil
		}
	case CaseRecordDelivery:
		if from == CaseAnswered {
			return CaseAnswered, nil
		}
	case CaseClose:
		if from == CaseAnswered || active || from == CaseSupplementRequested {
			return CaseClosed, nil
		}
	case CaseRecordFee, CaseRecordAppeal, CaseDocumentAdded, CaseDocumentRead, CaseDocumentDeleted,
		CaseAssignHandler, CaseRemoveHandler, CaseTake:
		return from, nil
	}
	zh := fmt.Sprintf("申请处于“%s”状态，不能%s。", from.NameZH(), a.NameZH())
	if a == CaseExtend || a == CaseRequestExtension {
		zh = fmt.Sprintf("申请处于“%s”状态，不能%s：延期只能在办理中（未延期、未在补正、答复书未送审）时申请和批准，且只能延期一次。", from.NameZH(), a.NameZH())
	}
	return "", &Refusal{Rule: RuleNoSuchTransition, MessageZH: zh,
		Message: fmt.Sprintf("action %q is not possible on an application in state %q", a, from)}
}

// RoleCaseHandler handles applications (依申请公开承办人): takes them in,
// runs the clock's records and drafts the reply. The identity documents
// of a case are read by its own handlers only (CanReadIdentity). Admins
// oversee the cases but read no identity document.
const RoleCaseHandler Role = "case_handler"

// CanHandleCases reports whether a may act on its agency's applications.
func CanHandleCases(a Actor) error {
	if a.Has(RoleCaseHandler) || a.Has(RoleAdmin) {
		return nil
	}
	return refuseZH(RuleRole, "办理依申请公开需要“依申请公开承办人”或管理员角色。",
		"handling applications needs the case_handler or admin role")
}

// IsCaseHead reports whether a is the head of the agency's
// 政府信息公开工作机构 as sanshen knows them: a case handler who is also a
// head (dept_head), the 负责人 who approves an extension (Article 33).
// An admin gives the two roles on the users page.
func IsCaseHead(a Actor) bool { return a.Has(RoleCaseHandler) && a.Has(RoleDeptHead) }

// CanApproveExtension reports whether a may approve (or decline) a
// case's one extension: the head (IsCaseHead) only — not a handler alone,
// not an admin.
func CanApproveExtension(a Actor) error {
	if IsCaseHead(a) {
		return nil
	}
	return refuseZH(RuleRole, "延长答复期限须经政府信息公开工作机构负责人（同时具有“依申请公开承办人”和“科室负责人”角色的人员）批准；承办人可提出延期申请，由负责人批准。",
		"an extension is approved by the head of the disclosure office (a case_handler who is also a dept_head); a handler requests it")
}

// CanAssignHandlers reports whether a may give a case its handlers or
// take them off it: the head (IsCaseHead) or an admin.
func CanAssignHandlers(a Actor) error {
	if IsCaseHead(a) || a.Has(RoleAdmin) {
		return nil
	}
	return refuseZH(RuleRole, "指定或撤销承办人须由政府信息公开工作机构负责人或管理员操作；没有承办人的案件，承办人可以自行领办。",
		"assigning a case's handlers needs the head of the disclosure office (case_handler and dept_head) or an admin")
}

// CanTakeCase reports whether a may take a case that has no handler: a
// case handler.
func CanTakeCase(a Actor) error {
	if a.Has(RoleCaseHandler) {
		return nil
	}
	return refuseZH(RuleRole, "只有“依申请公开承办人”可以领办案件。", "taking a case needs the case_handler role")
}

// CanReadIdentity reports whether a may add or read the identity
// documents of a case whose handlers are handlers: one of those handlers,
// holding the case_handler role still (PIPL: least access). Nobody else —
// not another handler of the agency, not an admin, not an auditor (who
// reads in the trail who read them).
func CanReadIdentity(a Actor, handlers []int64) error {
	if !a.Has(RoleCaseHandler) {
		return refuseZH(RuleRole, "申请人的身份证明材料仅限本案的依申请公开承办人上传和查看。",
			"identity documents are readable only by the case's handlers")
	}
	if a.ID == 0 || !slices.Contains(handlers, a.ID) {
		return refuseZH(RuleNotCaseHandler, "您不是本案的承办人：申请人的身份证明材料仅限本案的承办人上传和查看。如需办理本案，请由负责人指定。",
			"identity documents are readable only by the case's handlers, and %s is not one of them", a.Name)
	}
	return nil
}

// ApplicantIdentity is what a case records of who applied: their own reply
// may repeat it (stage 3 warns instead of blocking), nobody else's data.
type ApplicantIdentity struct {
	Name, IDNumber, Phone, Contact string
}
