// Field name → field number tables for the segments Sealpost reads and writes, from HL7 v2.5.1
// (chapters 2, 3, 4, 7, 9, 11; the v2.4 definitions used by HL7 Australia number the same fields
// identically and simply end earlier). Names are the standard's element names in camelCase.
// Generated once from the standard's segment tables; edit by hand.

/** MSH field numbers (HL7 v2.5.1). */
export const MSH_FIELDS = {
  /** MSH-1 Field Separator */
  fieldSeparator: 1,
  /** MSH-2 Encoding Characters */
  encodingCharacters: 2,
  /** MSH-3 Sending Application */
  sendingApplication: 3,
  /** MSH-4 Sending Facility */
  sendingFacility: 4,
  /** MSH-5 Receiving Application */
  receivingApplication: 5,
  /** MSH-6 Receiving Facility */
  receivingFacility: 6,
  /** MSH-7 Date/Time of Message */
  dateTimeOfMessage: 7,
  /** MSH-8 Security */
  security: 8,
  /** MSH-9 Message Type */
  messageType: 9,
  /** MSH-10 Message Control ID */
  messageControlId: 10,
  /** MSH-11 Processing ID */
  processingId: 11,
  /** MSH-12 Version ID */
  versionId: 12,
  /** MSH-13 Sequence Number */
  sequenceNumber: 13,
  /** MSH-14 Continuation Pointer */
  continuationPointer: 14,
  /** MSH-15 Accept Acknowledgment Type */
  acceptAcknowledgmentType: 15,
  /** MSH-16 Application Acknowledgment Type */
  applicationAcknowledgmentType: 16,
  /** MSH-17 Country Code */
  countryCode: 17,
  /** MSH-18 Character Set */
  characterSet: 18,
  /** MSH-19 Principal Language of Message */
  principalLanguageOfMessage: 19,
  /** MSH-20 Alternate Character Set Handling Scheme */
  alternateCharacterSetHandlingScheme: 20,
  /** MSH-21 Message Profile Identifier */
  messageProfileIdentifier: 21,
} as const;

/** EVN field numbers (HL7 v2.5.1). */
export const EVN_FIELDS = {
  /** EVN-1 Event Type Code */
  eventTypeCode: 1,
  /** EVN-2 Recorded Date/Time */
  recordedDateTime: 2,
  /** EVN-3 Date/Time Planned Event */
  dateTimePlannedEvent: 3,
  /** EVN-4 Event Reason Code */
  eventReasonCode: 4,
  /** EVN-5 Operator ID */
  operatorId: 5,
  /** EVN-6 Event Occurred */
  eventOccurred: 6,
  /** EVN-7 Event Facility */
  eventFacility: 7,
} as const;

/** PID field numbers (HL7 v2.5.1). */
export const PID_FIELDS = {
  /** PID-1 Set ID */
  setId: 1,
  /** PID-2 Patient ID */
  patientId: 2,
  /** PID-3 Patient Identifier List */
  patientIdentifierList: 3,
  /** PID-4 Alternate Patient ID */
  alternatePatientId: 4,
  /** PID-5 Patient Name */
  patientName: 5,
  /** PID-6 Mother's Maiden Name */
  mothersMaidenName: 6,
  /** PID-7 Date/Time of Birth */
  dateTimeOfBirth: 7,
  /** PID-8 Administrative Sex */
  administrativeSex: 8,
  /** PID-9 Patient Alias */
  patientAlias: 9,
  /** PID-10 Race */
  race: 10,
  /** PID-11 Patient Address */
  patientAddress: 11,
  /** PID-12 County Code */
  countyCode: 12,
  /** PID-13 Phone Number - Home */
  phoneNumberHome: 13,
  /** PID-14 Phone Number - Business */
  phoneNumberBusiness: 14,
  /** PID-15 Primary Language */
  primaryLanguage: 15,
  /** PID-16 Marital Status */
  maritalStatus: 16,
  /** PID-17 Religion */
  religion: 17,
  /** PID-18 Patient Account Number */
  patientAccountNumber: 18,
  /** PID-19 SSN Number */
  ssnNumber: 19,
  /** PID-20 Driver's License Number */
  driversLicenseNumber: 20,
  /** PID-21 Mother's Identifier */
  mothersIdentifier: 21,
  /** PID-22 Ethnic Group */
  ethnicGroup: 22,
  /** PID-23 Birth Place */
  birthPlace: 23,
  /** PID-24 Multiple Birth Indicator */
  multipleBirthIndicator: 24,
  /** PID-25 Birth Order */
  birthOrder: 25,
  /** PID-26 Citizenship */
  citizenship: 26,
  /** PID-27 Veterans Military Status */
  veteransMilitaryStatus: 27,
  /** PID-28 Nationality */
  nationality: 28,
  /** PID-29 Patient Death Date and Time */
  patientDeathDateAndTime: 29,
  /** PID-30 Patient Death Indicator */
  patientDeathIndicator: 30,
  /** PID-31 Identity Unknown Indicator */
  identityUnknownIndicator: 31,
  /** PID-32 Identity Reliability Code */
  identityReliabilityCode: 32,
  /** PID-33 Last Update Date/Time */
  lastUpdateDateTime: 33,
  /** PID-34 Last Update Facility */
  lastUpdateFacility: 34,
  /** PID-35 Species Code */
  speciesCode: 35,
  /** PID-36 Breed Code */
  breedCode: 36,
  /** PID-37 Strain */
  strain: 37,
  /** PID-38 Production Class Code */
  productionClassCode: 38,
  /** PID-39 Tribal Citizenship */
  tribalCitizenship: 39,
} as const;

/** PV1 field numbers (HL7 v2.5.1). */
export const PV1_FIELDS = {
  /** PV1-1 Set ID */
  setId: 1,
  /** PV1-2 Patient Class */
  patientClass: 2,
  /** PV1-3 Assigned Patient Location */
  assignedPatientLocation: 3,
  /** PV1-4 Admission Type */
  admissionType: 4,
  /** PV1-5 Preadmit Number */
  preadmitNumber: 5,
  /** PV1-6 Prior Patient Location */
  priorPatientLocation: 6,
  /** PV1-7 Attending Doctor */
  attendingDoctor: 7,
  /** PV1-8 Referring Doctor */
  referringDoctor: 8,
  /** PV1-9 Consulting Doctor */
  consultingDoctor: 9,
  /** PV1-10 Hospital Service */
  hospitalService: 10,
  /** PV1-11 Temporary Location */
  temporaryLocation: 11,
  /** PV1-12 Preadmit Test Indicator */
  preadmitTestIndicator: 12,
  /** PV1-13 Re-admission Indicator */
  readmissionIndicator: 13,
  /** PV1-14 Admit Source */
  admitSource: 14,
  /** PV1-15 Ambulatory Status */
  ambulatoryStatus: 15,
  /** PV1-16 VIP Indicator */
  vipIndicator: 16,
  /** PV1-17 Admitting Doctor */
  admittingDoctor: 17,
  /** PV1-18 Patient Type */
  patientType: 18,
  /** PV1-19 Visit Number */
  visitNumber: 19,
  /** PV1-20 Financial Class */
  financialClass: 20,
  /** PV1-21 Charge Price Indicator */
  chargePriceIndicator: 21,
  /** PV1-22 Courtesy Code */
  courtesyCode: 22,
  /** PV1-23 Credit Rating */
  creditRating: 23,
  /** PV1-24 Contract Code */
  contractCode: 24,
  /** PV1-25 Contract Effective Date */
  contractEffectiveDate: 25,
  /** PV1-26 Contract Amount */
  contractAmount: 26,
  /** PV1-27 Contract Period */
  contractPeriod: 27,
  /** PV1-28 Interest Code */
  interestCode: 28,
  /** PV1-29 Transfer to Bad Debt Code */
  transferToBadDebtCode: 29,
  /** PV1-30 Transfer to Bad Debt Date */
  transferToBadDebtDate: 30,
  /** PV1-31 Bad Debt Agency Code */
  badDebtAgencyCode: 31,
  /** PV1-32 Bad Debt Transfer Amount */
  badDebtTransferAmount: 32,
  /** PV1-33 Bad Debt Recovery Amount */
  badDebtRecoveryAmount: 33,
  /** PV1-34 Delete Account Indicator */
  deleteAccountIndicator: 34,
  /** PV1-35 Delete Account Date */
  deleteAccountDate: 35,
  /** PV1-36 Discharge Disposition */
  dischargeDisposition: 36,
  /** PV1-37 Discharged to Location */
  dischargedToLocation: 37,
  /** PV1-38 Diet Type */
  dietType: 38,
  /** PV1-39 Servicing Facility */
  servicingFacility: 39,
  /** PV1-40 Bed Status */
  bedStatus: 40,
  /** PV1-41 Account Status */
  accountStatus: 41,
  /** PV1-42 Pending Location */
  pendingLocation: 42,
  /** PV1-43 Prior Temporary Location */
  priorTemporaryLocation: 43,
  /** PV1-44 Admit Date/Time */
  admitDateTime: 44,
  /** PV1-45 Discharge Date/Time */
  dischargeDateTime: 45,
  /** PV1-46 Current Patient Balance */
  currentPatientBalance: 46,
  /** PV1-47 Total Charges */
  totalCharges: 47,
  /** PV1-48 Total Adjustments */
  totalAdjustments: 48,
  /** PV1-49 Total Payments */
  totalPayments: 49,
  /** PV1-50 Alternate Visit ID */
  alternateVisitId: 50,
  /** PV1-51 Visit Indicator */
  visitIndicator: 51,
  /** PV1-52 Other Healthcare Provider */
  otherHealthcareProvider: 52,
} as const;

/** ORC field numbers (HL7 v2.5.1). */
export const ORC_FIELDS = {
  /** ORC-1 Order Control */
  orderControl: 1,
  /** ORC-2 Placer Order Number */
  placerOrderNumber: 2,
  /** ORC-3 Filler Order Number */
  fillerOrderNumber: 3,
  /** ORC-4 Placer Group Number */
  placerGroupNumber: 4,
  /** ORC-5 Order Status */
  orderStatus: 5,
  /** ORC-6 Response Flag */
  responseFlag: 6,
  /** ORC-7 Quantity/Timing */
  quantityTiming: 7,
  /** ORC-8 Parent */
  parent: 8,
  /** ORC-9 Date/Time of Transaction */
  dateTimeOfTransaction: 9,
  /** ORC-10 Entered By */
  enteredBy: 10,
  /** ORC-11 Verified By */
  verifiedBy: 11,
  /** ORC-12 Ordering Provider */
  orderingProvider: 12,
  /** ORC-13 Enterer's Location */
  enterersLocation: 13,
  /** ORC-14 Call Back Phone Number */
  callBackPhoneNumber: 14,
  /** ORC-15 Order Effective Date/Time */
  orderEffectiveDateTime: 15,
  /** ORC-16 Order Control Code Reason */
  orderControlCodeReason: 16,
  /** ORC-17 Entering Organization */
  enteringOrganization: 17,
  /** ORC-18 Entering Device */
  enteringDevice: 18,
  /** ORC-19 Action By */
  actionBy: 19,
  /** ORC-20 Advanced Beneficiary Notice Code */
  advancedBeneficiaryNoticeCode: 20,
  /** ORC-21 Ordering Facility Name */
  orderingFacilityName: 21,
  /** ORC-22 Ordering Facility Address */
  orderingFacilityAddress: 22,
  /** ORC-23 Ordering Facility Phone Number */
  orderingFacilityPhoneNumber: 23,
  /** ORC-24 Ordering Provider Address */
  orderingProviderAddress: 24,
  /** ORC-25 Order Status Modifier */
  orderStatusModifier: 25,
  /** ORC-26 Advanced Beneficiary Notice Override Reason */
  advancedBeneficiaryNoticeOverrideReason: 26,
  /** ORC-27 Filler's Expected Availability Date/Time */
  fillersExpectedAvailabilityDateTime: 27,
  /** ORC-28 Confidentiality Code */
  confidentialityCode: 28,
  /** ORC-29 Order Type */
  orderType: 29,
  /** ORC-30 Enterer Authorization Mode */
  entererAuthorizationMode: 30,
  /** ORC-31 Parent Universal Service Identifier */
  parentUniversalServiceIdentifier: 31,
} as const;

/** OBR field numbers (HL7 v2.5.1). */
export const OBR_FIELDS = {
  /** OBR-1 Set ID */
  setId: 1,
  /** OBR-2 Placer Order Number */
  placerOrderNumber: 2,
  /** OBR-3 Filler Order Number */
  fillerOrderNumber: 3,
  /** OBR-4 Universal Service Identifier */
  universalServiceIdentifier: 4,
  /** OBR-5 Priority */
  priority: 5,
  /** OBR-6 Requested Date/Time */
  requestedDateTime: 6,
  /** OBR-7 Observation Date/Time */
  observationDateTime: 7,
  /** OBR-8 Observation End Date/Time */
  observationEndDateTime: 8,
  /** OBR-9 Collection Volume */
  collectionVolume: 9,
  /** OBR-10 Collector Identifier */
  collectorIdentifier: 10,
  /** OBR-11 Specimen Action Code */
  specimenActionCode: 11,
  /** OBR-12 Danger Code */
  dangerCode: 12,
  /** OBR-13 Relevant Clinical Information */
  relevantClinicalInformation: 13,
  /** OBR-14 Specimen Received Date/Time */
  specimenReceivedDateTime: 14,
  /** OBR-15 Specimen Source */
  specimenSource: 15,
  /** OBR-16 Ordering Provider */
  orderingProvider: 16,
  /** OBR-17 Order Callback Phone Number */
  orderCallbackPhoneNumber: 17,
  /** OBR-18 Placer Field 1 */
  placerField1: 18,
  /** OBR-19 Placer Field 2 */
  placerField2: 19,
  /** OBR-20 Filler Field 1 */
  fillerField1: 20,
  /** OBR-21 Filler Field 2 */
  fillerField2: 21,
  /** OBR-22 Results Rpt/Status Chng - Date/Time */
  resultsRptStatusChngDateTime: 22,
  /** OBR-23 Charge to Practice */
  chargeToPractice: 23,
  /** OBR-24 Diagnostic Serv Sect ID */
  diagnosticServSectId: 24,
  /** OBR-25 Result Status */
  resultStatus: 25,
  /** OBR-26 Parent Result */
  parentResult: 26,
  /** OBR-27 Quantity/Timing */
  quantityTiming: 27,
  /** OBR-28 Result Copies To */
  resultCopiesTo: 28,
  /** OBR-29 Parent */
  parent: 29,
  /** OBR-30 Transportation Mode */
  transportationMode: 30,
  /** OBR-31 Reason for Study */
  reasonForStudy: 31,
  /** OBR-32 Principal Result Interpreter */
  principalResultInterpreter: 32,
  /** OBR-33 Assistant Result Interpreter */
  assistantResultInterpreter: 33,
  /** OBR-34 Technician */
  technician: 34,
  /** OBR-35 Transcriptionist */
  transcriptionist: 35,
  /** OBR-36 Scheduled Date/Time */
  scheduledDateTime: 36,
  /** OBR-37 Number of Sample Containers */
  numberOfSampleContainers: 37,
  /** OBR-38 Transport Logistics of Collected Sample */
  transportLogisticsOfCollectedSample: 38,
  /** OBR-39 Collector's Comment */
  collectorsComment: 39,
  /** OBR-40 Transport Arrangement Responsibility */
  transportArrangementResponsibility: 40,
  /** OBR-41 Transport Arranged */
  transportArranged: 41,
  /** OBR-42 Escort Required */
  escortRequired: 42,
  /** OBR-43 Planned Patient Transport Comment */
  plannedPatientTransportComment: 43,
  /** OBR-44 Procedure Code */
  procedureCode: 44,
  /** OBR-45 Procedure Code Modifier */
  procedureCodeModifier: 45,
  /** OBR-46 Placer Supplemental Service Information */
  placerSupplementalServiceInformation: 46,
  /** OBR-47 Filler Supplemental Service Information */
  fillerSupplementalServiceInformation: 47,
  /** OBR-48 Medically Necessary Duplicate Procedure Reason */
  medicallyNecessaryDuplicateProcedureReason: 48,
  /** OBR-49 Result Handling */
  resultHandling: 49,
  /** OBR-50 Parent Universal Service Identifier */
  parentUniversalServiceIdentifier: 50,
} as const;

/** OBX field numbers (HL7 v2.5.1). */
export const OBX_FIELDS = {
  /** OBX-1 Set ID */
  setId: 1,
  /** OBX-2 Value Type */
  valueType: 2,
  /** OBX-3 Observation Identifier */
  observationIdentifier: 3,
  /** OBX-4 Observation Sub-ID */
  observationSubId: 4,
  /** OBX-5 Observation Value */
  observationValue: 5,
  /** OBX-6 Units */
  units: 6,
  /** OBX-7 References Range */
  referencesRange: 7,
  /** OBX-8 Abnormal Flags */
  abnormalFlags: 8,
  /** OBX-9 Probability */
  probability: 9,
  /** OBX-10 Nature of Abnormal Test */
  natureOfAbnormalTest: 10,
  /** OBX-11 Observation Result Status */
  observationResultStatus: 11,
  /** OBX-12 Effective Date of Reference Range */
  effectiveDateOfReferenceRange: 12,
  /** OBX-13 User Defined Access Checks */
  userDefinedAccessChecks: 13,
  /** OBX-14 Date/Time of the Observation */
  dateTimeOfTheObservation: 14,
  /** OBX-15 Producer's ID */
  producersId: 15,
  /** OBX-16 Responsible Observer */
  responsibleObserver: 16,
  /** OBX-17 Observation Method */
  observationMethod: 17,
  /** OBX-18 Equipment Instance Identifier */
  equipmentInstanceIdentifier: 18,
  /** OBX-19 Date/Time of the Analysis */
  dateTimeOfTheAnalysis: 19,
} as const;

/** NTE field numbers (HL7 v2.5.1). */
export const NTE_FIELDS = {
  /** NTE-1 Set ID */
  setId: 1,
  /** NTE-2 Source of Comment */
  sourceOfComment: 2,
  /** NTE-3 Comment */
  comment: 3,
  /** NTE-4 Comment Type */
  commentType: 4,
} as const;

/** PRD field numbers (HL7 v2.5.1). */
export const PRD_FIELDS = {
  /** PRD-1 Provider Role */
  providerRole: 1,
  /** PRD-2 Provider Name */
  providerName: 2,
  /** PRD-3 Provider Address */
  providerAddress: 3,
  /** PRD-4 Provider Location */
  providerLocation: 4,
  /** PRD-5 Provider Communication Information */
  providerCommunicationInformation: 5,
  /** PRD-6 Preferred Method of Contact */
  preferredMethodOfContact: 6,
  /** PRD-7 Provider Identifiers */
  providerIdentifiers: 7,
  /** PRD-8 Effective Start Date of Provider Role */
  effectiveStartDateOfProviderRole: 8,
  /** PRD-9 Effective End Date of Provider Role */
  effectiveEndDateOfProviderRole: 9,
} as const;

/** RF1 field numbers (HL7 v2.5.1). */
export const RF1_FIELDS = {
  /** RF1-1 Referral Status */
  referralStatus: 1,
  /** RF1-2 Referral Priority */
  referralPriority: 2,
  /** RF1-3 Referral Type */
  referralType: 3,
  /** RF1-4 Referral Disposition */
  referralDisposition: 4,
  /** RF1-5 Referral Category */
  referralCategory: 5,
  /** RF1-6 Originating Referral Identifier */
  originatingReferralIdentifier: 6,
  /** RF1-7 Effective Date */
  effectiveDate: 7,
  /** RF1-8 Expiration Date */
  expirationDate: 8,
  /** RF1-9 Process Date */
  processDate: 9,
  /** RF1-10 Referral Reason */
  referralReason: 10,
  /** RF1-11 External Referral Identifier */
  externalReferralIdentifier: 11,
} as const;

/** TXA field numbers (HL7 v2.5.1). */
export const TXA_FIELDS = {
  /** TXA-1 Set ID */
  setId: 1,
  /** TXA-2 Document Type */
  documentType: 2,
  /** TXA-3 Document Content Presentation */
  documentContentPresentation: 3,
  /** TXA-4 Activity Date/Time */
  activityDateTime: 4,
  /** TXA-5 Primary Activity Provider Code/Name */
  primaryActivityProviderCodeName: 5,
  /** TXA-6 Origination Date/Time */
  originationDateTime: 6,
  /** TXA-7 Transcription Date/Time */
  transcriptionDateTime: 7,
  /** TXA-8 Edit Date/Time */
  editDateTime: 8,
  /** TXA-9 Originator Code/Name */
  originatorCodeName: 9,
  /** TXA-10 Assigned Document Authenticator */
  assignedDocumentAuthenticator: 10,
  /** TXA-11 Transcriptionist Code/Name */
  transcriptionistCodeName: 11,
  /** TXA-12 Unique Document Number */
  uniqueDocumentNumber: 12,
  /** TXA-13 Parent Document Number */
  parentDocumentNumber: 13,
  /** TXA-14 Placer Order Number */
  placerOrderNumber: 14,
  /** TXA-15 Filler Order Number */
  fillerOrderNumber: 15,
  /** TXA-16 Unique Document File Name */
  uniqueDocumentFileName: 16,
  /** TXA-17 Document Completion Status */
  documentCompletionStatus: 17,
  /** TXA-18 Document Confidentiality Status */
  documentConfidentialityStatus: 18,
  /** TXA-19 Document Availability Status */
  documentAvailabilityStatus: 19,
  /** TXA-20 Document Storage Status */
  documentStorageStatus: 20,
  /** TXA-21 Document Change Reason */
  documentChangeReason: 21,
  /** TXA-22 Authentication Person, Time Stamp */
  authenticationPersonTimeStamp: 22,
  /** TXA-23 Distributed Copies */
  distributedCopies: 23,
} as const;

/** MSA field numbers (HL7 v2.5.1). */
export const MSA_FIELDS = {
  /** MSA-1 Acknowledgment Code */
  acknowledgmentCode: 1,
  /** MSA-2 Message Control ID */
  messageControlId: 2,
  /** MSA-3 Text Message */
  textMessage: 3,
  /** MSA-4 Expected Sequence Number */
  expectedSequenceNumber: 4,
  /** MSA-5 Delayed Acknowledgment Type */
  delayedAcknowledgmentType: 5,
  /** MSA-6 Error Condition */
  errorCondition: 6,
} as const;

/** ERR field numbers (HL7 v2.5.1). */
export const ERR_FIELDS = {
  /** ERR-1 Error Code and Location */
  errorCodeAndLocation: 1,
  /** ERR-2 Error Location */
  errorLocation: 2,
  /** ERR-3 HL7 Error Code */
  hl7ErrorCode: 3,
  /** ERR-4 Severity */
  severity: 4,
  /** ERR-5 Application Error Code */
  applicationErrorCode: 5,
  /** ERR-6 Application Error Parameter */
  applicationErrorParameter: 6,
  /** ERR-7 Diagnostic Information */
  diagnosticInformation: 7,
  /** ERR-8 User Message */
  userMessage: 8,
  /** ERR-9 Inform Person Indicator */
  informPersonIndicator: 9,
  /** ERR-10 Override Type */
  overrideType: 10,
  /** ERR-11 Override Reason Code */
  overrideReasonCode: 11,
  /** ERR-12 Help Desk Contact Point */
  helpDeskContactPoint: 12,
} as const;
