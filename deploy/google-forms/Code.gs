/**
 * cxloop for Google Forms: post every form submission to cxloop, signed with the
 * Standard Webhooks scheme (webhook-id, webhook-timestamp, webhook-signature: v1,<base64>).
 *
 * Setup (docs/sources/google-forms.md):
 *  1. In the form: Extensions > Apps Script, paste this file.
 *  2. Project Settings > Script properties: CXLOOP_URL = https://cx.example.com/v1/webhooks/google-forms
 *     and CXLOOP_SECRET = the whsec_... secret also set in cxloop's CXLOOP_GOOGLE_FORMS_SECRET.
 *  3. Run `install` once and grant the permissions; it adds the on-submit trigger.
 */

var MAX_ATTEMPTS = 3;

function install() {
  var form = FormApp.getActiveForm();
  ScriptApp.getProjectTriggers().forEach(function (trigger) {
    if (trigger.getHandlerFunction() === 'onFormSubmit') {
      ScriptApp.deleteTrigger(trigger);
    }
  });
  ScriptApp.newTrigger('onFormSubmit').forForm(form).onFormSubmit().create();
}

function onFormSubmit(e) {
  var form = FormApp.getActiveForm();
  var response = e.response;
  var body = JSON.stringify({
    type: 'form_response',
    form: { id: form.getId(), title: form.getTitle() },
    response: {
      id: response.getId(),
      submitted_at: response.getTimestamp().toISOString(),
      respondent_email: response.getRespondentEmail() || null,
      answers: response.getItemResponses().map(function (itemResponse) {
        var item = itemResponse.getItem();
        var answer = {
          item_id: String(item.getId()),
          title: item.getTitle(),
          type: String(item.getType()),
          value: itemResponse.getResponse()
        };
        if (item.getType() == FormApp.ItemType.SCALE) {
          // cxloop takes a scale as the NPS only when it runs 0 to 10.
          var scale = item.asScaleItem();
          answer.scale = [scale.getLowerBound(), scale.getUpperBound()];
        }
        return answer;
      })
    }
  });
  send_(response.getId(), body);
}

function send_(messageId, body) {
  var props = PropertiesService.getScriptProperties();
  var url = props.getProperty('CXLOOP_URL');
  var secret = props.getProperty('CXLOOP_SECRET');
  if (!url || !secret) {
    throw new Error('Set the CXLOOP_URL and CXLOOP_SECRET script properties');
  }
  var key = Utilities.base64Decode(secret.replace(/^whsec_/, ''));
  for (var attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    // A fresh timestamp (and so signature) per attempt: cxloop refuses ones over 5 minutes old.
    var timestamp = String(Math.floor(Date.now() / 1000));
    var signed = Utilities.newBlob(messageId + '.' + timestamp + '.' + body).getBytes();
    var signature = Utilities.base64Encode(Utilities.computeHmacSha256Signature(signed, key));
    var reply = UrlFetchApp.fetch(url, {
      method: 'post',
      contentType: 'application/json; charset=utf-8',
      payload: body,
      headers: {
        'webhook-id': messageId,
        'webhook-timestamp': timestamp,
        'webhook-signature': 'v1,' + signature
      },
      followRedirects: false,
      muteHttpExceptions: true
    });
    var status = reply.getResponseCode();
    if (status >= 200 && status < 300) {
      return;
    }
    if (status < 500 && status !== 429) {
      throw new Error('cxloop refused the response (' + status + '): ' + reply.getContentText());
    }
    Utilities.sleep(1000 * Math.pow(2, attempt));
  }
  throw new Error('cxloop did not accept the response after ' + MAX_ATTEMPTS + ' attempts');
}
