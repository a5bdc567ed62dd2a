import json
import base64
import gzip
import logging
from datetime import datetime

logger = logging.getLogger()
logger.setLevel(logging.INFO)

def lambda_handler(event, context):
    """
    Production Lambda function for EKS audit log processing.
    Transforms real EKS audit logs to Microsoft Sentinel AWSEKSLogs_CL format.
    Based on successful dummy function format that works with Sentinel ingestion.
    """
    
    logger.info("=== PRODUCTION EKS AUDIT LOG TRANSFORMATION ===")
    
    output = []
    
    for record in event['records']:
        record_id = record['recordId']
        
        try:
            # Decode the incoming data
            compressed_payload = base64.b64decode(record['data'])
            uncompressed_payload = gzip.decompress(compressed_payload)
            
            # Parse CloudWatch log data
            log_data = json.loads(uncompressed_payload)
            
            transformed_records = []
            
            # Process each log event
            for log_event in log_data.get('logEvents', []):
                try:
                    # Parse the EKS audit log message
                    eks_audit_log = json.loads(log_event['message'])
                    
                    # Transform to Log Analytics format using successful schema
                    transformed_record = transform_eks_to_la_format(eks_audit_log, log_event)
                    
                    if transformed_record:
                        transformed_records.append(transformed_record)
                        
                except Exception as e:
                    logger.error(f"Error parsing log event: {str(e)}")
                    continue
            
            # Encode all transformed records
            if transformed_records:
                # Join multiple records with newlines
                output_data = '\n'.join([json.dumps(record) for record in transformed_records]) + '\n'
                encoded_data = base64.b64encode(output_data.encode('utf-8')).decode('utf-8')
                
                output_record = {
                    'recordId': record_id,
                    'result': 'Ok',
                    'data': encoded_data
                }
            else:
                # No valid records, return empty but successful
                output_record = {
                    'recordId': record_id,
                    'result': 'Ok', 
                    'data': base64.b64encode(b'').decode('utf-8')
                }
                
            output.append(output_record)
            logger.info(f"Successfully processed {len(transformed_records)} records from recordId {record_id}")
            
        except Exception as e:
            logger.error(f"Error processing record {record_id}: {str(e)}")
            
            # Return processing failed for this record
            output_record = {
                'recordId': record_id,
                'result': 'ProcessingFailed'
            }
            output.append(output_record)
    
    logger.info(f"Processed {len(output)} total records")
    return {'records': output}

def transform_eks_to_la_format(eks_audit_log, log_event):
    """
    Transform EKS audit log to Microsoft Sentinel AWSEKSLogs_CL format.
    Uses the successful format that works with Sentinel ingestion.
    """
    
    try:
        # Extract timestamp - use requestReceivedTimestamp or fallback to CloudWatch timestamp
        timestamp = eks_audit_log.get('requestReceivedTimestamp')
        if not timestamp:
            # Convert CloudWatch timestamp (milliseconds) to ISO format
            cw_timestamp = log_event.get('timestamp', 0)
            timestamp = datetime.utcfromtimestamp(cw_timestamp / 1000).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
        
        # Extract basic fields with safe defaults
        verb = eks_audit_log.get('verb', '')
        stage = eks_audit_log.get('stage', '')
        
        # Extract user information
        user_info = eks_audit_log.get('user', {})
        username = user_info.get('username', '') if isinstance(user_info, dict) else str(user_info) if user_info else ''
        
        # Extract source IPs
        source_ips = eks_audit_log.get('sourceIPs', [])
        if not isinstance(source_ips, list):
            source_ips = [str(source_ips)] if source_ips else []
        
        # Extract object reference
        object_ref = eks_audit_log.get('objectRef', {})
        if isinstance(object_ref, dict):
            # Build ObjectRef in simple format like working file
            namespace = object_ref.get('namespace', '')
            resource = object_ref.get('resource', '') 
            name = object_ref.get('name', '')
            
            if namespace and resource and name:
                object_ref_str = f"{namespace}/{resource}/{name}"
            elif resource and name:
                object_ref_str = f"{resource}/{name}"
            elif name:
                object_ref_str = name
            else:
                object_ref_str = ''
        else:
            object_ref_str = str(object_ref) if object_ref else ''
        
        # Extract response code
        response_status = eks_audit_log.get('responseStatus', {})
        response_code = 0
        if isinstance(response_status, dict):
            response_code = response_status.get('code', 0)
        
        # Extract authorization decision
        annotations = eks_audit_log.get('annotations', {})
        auth_decision = ''
        if isinstance(annotations, dict):
            auth_decision = annotations.get('authorization.k8s.io/decision', '')
        
        # Create simple RawEvent structure (like successful dummy function)
        simple_raw_event = {
            "verb": verb,
            "user": username,
            "objectRef": object_ref_str,
            "responseCode": response_code
        }
        
        # Build the complete record with extra date field (like successful format)
        transformed_record = {
            "date": timestamp,  # Extra field that makes Sentinel ingestion work
            "TimeGenerated": timestamp,
            "AwsAccountId": eks_audit_log.get('annotations', {}).get('aws.amazon.com/account-id', '') if isinstance(eks_audit_log.get('annotations'), dict) else '',
            "Region": eks_audit_log.get('annotations', {}).get('aws.amazon.com/region', '') if isinstance(eks_audit_log.get('annotations'), dict) else '',
            "ClusterName": eks_audit_log.get('annotations', {}).get('aws.amazon.com/cluster-name', '') if isinstance(eks_audit_log.get('annotations'), dict) else '',
            "Verb": verb,
            "User": username,
            "SourceIPs": source_ips,
            "UserAgent": eks_audit_log.get('userAgent', ''),
            "ObjectRef": object_ref_str,
            "ResponseCode": response_code,
            "Stage": stage,
            "AuthDecision": auth_decision,
            "RawEvent": simple_raw_event  # Simple structure, no complex nested objects
        }
        
        return transformed_record
        
    except Exception as e:
        logger.error(f"Error transforming EKS audit log: {str(e)}")
        return None
